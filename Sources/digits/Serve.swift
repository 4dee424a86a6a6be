import ArgumentParser
import CPUBackend
import DefaultModel
import DigitsCore
import DigitsServer
import DigitsVision
import Foundation
import Logging
import NIOCore

extension Digits {
  struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Serve the drawing page and a JSON API: draw a digit in the browser and watch the prediction.",
      discussion: """
        Open the printed URL: draw with a mouse, finger or pen, and the digit is read
        as you draw; or drop an image file on the page. Everything the page needs is
        in the binary (no internet needed). Ctrl-C stops the server.

        Requests are decoded and prepared on every core; the network runs the requests
        that arrive together as one batch, on one CPU thread unless --threads says
        otherwise (or on the GPU with --backend opencl). If OpenCL fails while serving,
        that request gets 500 and the server moves to the CPU backend.

        Limits: pictures up to --max-megapixels (default 6: the costliest picture
        of 6 megapixels, a 16-bit RGBA PNG, takes about 90 MB while it is read, so
        one request costs at most ~100 MB; one picture per core is read at once);
        --max-in-flight predictions at once (default 8 per core; beyond it 503 with
        Retry-After), counted once a picture has arrived, so a slow upload holds
        none; pictures still arriving share 64 MB (503 beyond) and get --timeout
        seconds (408 after); --max-connections open connections. Bound to a loopback
        address, the server answers only requests addressed to localhost or that
        address (no DNS rebinding).

        Learning (the corrections and fine-tune routes) changes what the server
        answers for everyone, so it is guarded. On a loopback --host it is on; on
        any other it is off unless --learning, and then every learning call needs
        a token (Authorization: Bearer TOKEN; the page takes it from #token=TOKEN
        in its URL): a new one printed at start, or --token-file's. On every bind
        learning answers only requests addressed (Host) to localhost, the --host
        address or an --allowed-host, and sent from no page or this server's own
        (Origin). A fine-tune is served only if its MNIST test accuracy is at most
        --max-accuracy-drop points below the base model's; otherwise it is kept
        in --corrections/models and the status says why.

        API (answers JSON; errors are {"error": "..."} with a 4xx/5xx status):
          POST /api/predict          an image file's bytes (Content-Type image/png,
                                     image/jpeg, ...): digit, label, confidence,
                                     probabilities, input28, box
          POST /api/predict?multi=1  a number: number, digits
          GET  /api/health           GET /api/model
          GET  /api/openapi.json     the API described (OpenAPI 3.0)
          POST /api/corrections      {"input28": [784 values], "label": 0-9}: saved
                                     in --corrections as a PNG and a labels.csv line
          POST /api/finetune         learn from the corrections in the background
                                     (MNIST replayed, see train --finetune); the new
                                     model is swapped in when done
          GET  /api/finetune         progress; POST /api/finetune/undo goes back

        Examples:
          digits serve
          digits serve --host 0.0.0.0 --port 9000 --model model.safetensors
          digits serve --host 0.0.0.0 --learning --allowed-host mybox.lan \\
               --token-file ~/.config/digits/token
          curl -H 'Content-Type: image/png' --data-binary @seven.png \\
               localhost:8080/api/predict
        """)

    @Option(help: "Address to listen on (0.0.0.0: every interface).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8080

    @Option(help: "Model file (default: the built-in model).")
    var model: String?

    @OptionGroup var backendOptions: BackendOptions

    @Option(name: .customLong("max-body-mb"), help: "Largest image accepted, in MB (413 above).")
    var maxBodyMB = 5

    @Option(help: "Seconds an image may take to arrive (408 after); connections idle this long are closed.")
    var timeout = 10

    @Option(
      name: .customLong("max-megapixels"),
      help: "Largest picture read, in megapixels (413 above; 6 costs up to about 90 MB).")
    var maxMegapixels = 6

    @Option(name: .customLong("max-in-flight"), help: "Predictions at once; 503 beyond (default: 8 per core).")
    var maxInFlight: Int?

    @Option(name: .customLong("max-connections"), help: "Open connections; more wait until one closes.")
    var maxConnections = DigitsServer.Limits().maxConnections

    @Flag(help: "Log every request on stderr.")
    var verbose = false

    @Option(
      name: .customLong("min-confidence"),
      help: ArgumentHelp(
        "Below this top probability (0 to 1, after the model's temperature) answer \"reason\": \"unsure\" with the two likeliest digits. Default: the model's threshold.",
        valueName: "p"))
    var minConfidence: Double?

    @Option(
      help: ArgumentHelp(
        "Folder for the page's corrections (28x28 PNGs + labels.csv) and the models learnt from them (default: ~/.cache/digits/corrections).",
        valueName: "dir"))
    var corrections: String?

    @Option(
      help: ArgumentHelp(
        "MNIST folder, replayed when learning from corrections (default: $DIGITS_DATA, then ~/.cache/digits/mnist).",
        valueName: "dir"))
    var data: String?

    @Flag(
      inversion: .prefixedNo,
      help:
        "Let the page learn from corrections (default: on for a loopback --host, off otherwise; off the loopback it needs a token)."
    )
    var learning: Bool?

    @Option(
      name: .customLong("max-accuracy-drop"),
      help: ArgumentHelp(
        "Largest fall in MNIST test accuracy, in points, below the base model's for a fine-tuned model to be served.",
        valueName: "points"))
    var maxAccuracyDrop = FinetuneJob.Policy().maxAccuracyDrop * 100

    @Option(
      name: .customLong("token-file"),
      help: ArgumentHelp(
        "File whose first line is the token learning calls must send (Authorization: Bearer); default off the loopback: a new one, printed at start.",
        valueName: "file"))
    var tokenFile: String?

    @Option(
      name: .customLong("allowed-host"),
      help: ArgumentHelp(
        "A host name or address clients use to reach the server (Host header), beside localhost and --host; repeatable.",
        valueName: "name"))
    var allowedHosts: [String] = []

    func validate() throws {
      guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535, got \(port)") }
      guard (1...1024).contains(maxBodyMB) else {
        throw ValidationError("--max-body-mb must be 1 to 1024, got \(maxBodyMB)")
      }
      guard (1...3600).contains(timeout) else {
        throw ValidationError("--timeout must be 1 to 3600 seconds, got \(timeout)")
      }
      guard (1...100).contains(maxMegapixels) else {
        throw ValidationError("--max-megapixels must be 1 to 100, got \(maxMegapixels)")
      }
      if let maxInFlight, !(1...100_000).contains(maxInFlight) {
        throw ValidationError("--max-in-flight must be 1 to 100000, got \(maxInFlight)")
      }
      guard (1...100_000).contains(maxConnections) else {
        throw ValidationError("--max-connections must be 1 to 100000, got \(maxConnections)")
      }
      if let minConfidence, !(0...1).contains(minConfidence) {
        throw ValidationError("--min-confidence must be 0 to 1, got \(minConfidence)")
      }
      guard maxAccuracyDrop.isFinite, (0...100).contains(maxAccuracyDrop) else {
        throw ValidationError("--max-accuracy-drop must be 0 to 100 points, got \(maxAccuracyDrop)")
      }
      if learning == false, tokenFile != nil {
        throw ValidationError("--token-file guards learning; it means nothing with --no-learning")
      }
    }

    func run() async throws {
      Self.keepHeapMapped()
      let file = try model.map { try ModelFile.read(path: $0) } ?? DefaultModel.load()
      let name = model ?? DefaultModel.name
      // One backend for all requests: the server batches requests that arrive together. On
      // the CPU the batches run on one thread, leaving the other cores to decode and
      // prepare pictures, which is most of a request's work.
      var options = backendOptions
      if options.backend != .opencl && options.device == nil && options.threads == nil { options.threads = 1 }
      let backend = try BackendFactory.make(options)
      let description = backend.name
      let classifier = DigitClassifier(model: file, backend: backend, batchSize: 64)
      // An OpenCL failure moves serving to one CPU thread instead of ending the process.
      let fallback: (() throws -> any ServingNetwork)? =
        backend is any CPUKernels
        ? nil
        : {
          DigitClassifier(model: file, backend: try BackendFactory.makeCPU(threads: 1), batchSize: 64)
        }
      let service = PredictionService(
        model: file, modelName: name, classifier: classifier, backendDescription: description,
        maxPixels: maxMegapixels * 1_000_000, fallback: fallback,
        fallbackDescription: "cpu (1 thread, after an OpenCL failure)",
        minConfidence: minConfidence, judge: file.hasDigitClasses ? try DefaultModel.judge() : nil,
        log: { Console.note($0) })
      var limits = DigitsServer.Limits()
      limits.maxBodyBytes = maxBodyMB << 20
      limits.requestTimeout = .seconds(timeout)
      if let maxInFlight { limits.maxInFlight = maxInFlight }
      limits.maxConnections = maxConnections
      Self.allowOpenFiles(for: maxConnections)
      let host = self.host, tokenFile = self.tokenFile
      let access = try learningAccess()
      let learning =
        access == nil
        ? nil
        : try makeLearning(
          service: service, base: file, baseName: name, options: options, servingOnCPU: backend is any CPUKernels)
      let app = DigitsServer.makeApplication(
        service: service, host: host, port: port, limits: limits, logLevel: verbose ? .info : .warning,
        learning: learning, access: access
      ) { port in
        let shown = host.contains(":") ? "[\(host)]" : host
        Console.line("Serving http://\(shown):\(port)/ (model: \(name); \(description)). Ctrl-C stops.")
        if access == nil || learning != nil {
          Self.describeLearning(access, tokenFile: tokenFile, url: "http://\(shown):\(port)/")
        }
      }
      do {
        try await app.runService()
      } catch let error as IOError where error.errnoCode == EADDRINUSE {
        throw DigitsError("cannot listen on \(host):\(port): the address is in use; pick another --port")
      } catch let error as IOError {
        throw DigitsError("cannot listen on \(host):\(port): \(error.description)")
      }
      Console.note("stopped")
    }

    /// Raises this process's open-file limit (the soft one, up to the hard one) so that
    /// `connections` sockets fit beside the model and log files: shells often start with
    /// 1024, and past it accepting fails instead of waiting in the backlog.
    static func allowOpenFiles(for connections: Int) {
      #if os(Linux)
        let wanted = rlim_t(connections + 256)
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < wanted else {
          return
        }
        limit.rlim_cur = min(wanted, limit.rlim_max)
        if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) != 0 || limit.rlim_cur < wanted {
          Console.note(
            "the open-file limit (\(limit.rlim_cur)) is below --max-connections \(connections) + 256; "
              + "raise it (ulimit -n) or lower --max-connections")
        }
      #endif
    }

    /// glibc returns the top of the heap to the kernel whenever it shrinks past 128 KB and
    /// maps big blocks afresh, so every request paid page faults for its picture buffers
    /// (about a third of decoding at 280 px). A server reuses those pages instead.
    static func keepHeapMapped() {
      #if os(Linux)
        _ = glibcMallopt(-1, 64 << 20)  // M_TRIM_THRESHOLD (malloc.h, which Glibc's module leaves out)
        _ = glibcMallopt(-3, 16 << 20)  // M_MMAP_THRESHOLD
      #endif
    }
  }
}

#if os(Linux)
  @_silgen_name("mallopt")
  private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
