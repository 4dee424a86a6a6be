import ArgumentParser
import DefaultModel
import DigitsCore
import DigitsVision
import Foundation

extension Digits {
  struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Read the handwritten digit in photos, scans and drawings (PNG, JPEG, BMP, GIF, PGM/PPM, WebP, HEIC).",
      discussion: """
        Needs no training: a model trained on MNIST is built in (--model picks
        another). Each picture is prepared the way MNIST was made: ink found
        whatever the lighting or polarity, cropped, scaled to fit 20x20,
        centred by centre of mass in 28x28. One line per picture: file, digit,
        confidence and the next best guesses, or "no digit" when it holds too
        little ink. Unreadable files get an error line on stderr, the others
        are still read, and the exit status is 1.

        Examples:
          digits predict photo.jpg
          digits predict scans/ --json > digits.jsonl
          digits predict --multi house-number.png     # digits left to right
          digits predict --debug-preprocess seen/ photo.jpg
          python3 -c 'print(*[0]*784)' | digits predict -   # raw 28x28
        """)

    @Argument(
      help: ArgumentHelp(
        "Image files, folders (searched recursively), or - for standard input.",
        valueName: "file|dir|-"))
    var inputs: [String]

    @Option(help: "Model file (default: the built-in model).")
    var model: String?

    @OptionGroup var backendOptions: BackendOptions

    @Option(name: .customLong("top-k"), help: "Guesses shown per picture, best first.")
    var topK = 3

    @Flag(help: "Print JSON Lines: file, digit (null when none), confidence, probabilities (10).")
    var json = false

    @Flag(help: "The picture holds a number: split it into digits and read them left to right.")
    var multi = false

    @Option(
      name: .customLong("min-confidence"),
      help: ArgumentHelp(
        "Below this top probability (0 to 1, after the model's temperature) answer \"not sure\" with the two likeliest digits. Default: the model's threshold, chosen on its validation split (0, always answer, for models without one).",
        valueName: "p"))
    var minConfidence: Double?

    @Option(
      name: .customLong("debug-preprocess"),
      help: ArgumentHelp(
        "Write the 28x28 images the model sees into this folder (PNG, white ink on black).", valueName: "dir"))
    var debugPreprocess: String?

    func validate() throws {
      guard !inputs.isEmpty else { throw ValidationError("name at least one image, folder or -") }
      guard (1...10).contains(topK) else { throw ValidationError("--top-k must be 1 to 10, got \(topK)") }
      if inputs.filter({ $0 == "-" }).count > 1 { throw ValidationError("- (standard input) can be given once") }
      if let minConfidence, !(0...1).contains(minConfidence) {
        throw ValidationError("--min-confidence must be 0 to 1, got \(minConfidence)")
      }
    }

    func run() async throws {
      let file = try model.map { try ModelFile.read(path: $0) } ?? DefaultModel.load()
      if let debugPreprocess {
        do {
          try FileManager.default.createDirectory(atPath: debugPreprocess, withIntermediateDirectories: true)
        } catch {
          throw DigitsError.file(debugPreprocess, "cannot create folder: \(error.localizedDescription)")
        }
      }
      let classifier = DigitClassifier(
        model: file, backend: try BackendFactory.make(backendOptions), minConfidence: minConfidence)
      let output = PredictionOutput(
        json: json, topK: topK, classNames: classifier.classNames, debugFolder: debugPreprocess,
        minConfidence: classifier.minConfidence)

      var sources: [Source] = []
      for input in inputs {
        if input == "-" {
          sources.append(.data("-", FileHandle.standardInput.readDataToEndOfFile()))
          continue
        }
        for entry in ImageFiles.expand([input]) {
          switch entry {
          case .file(let path): sources.append(.file(path))
          case .problem(let path, let message):
            sources.append(.failed(path, DigitsError.file(path, message).description))
          }
        }
      }

      var failures = 0
      let chunk = 128
      // Forward passes only (not decoding or preprocessing), reported for several inputs.
      let clock = ContinuousClock()
      var forward = ForwardRate(images: 0, seconds: 0, backend: classifier.network.backend.name)
      var start = 0
      while start < sources.count {
        let batch = Array(sources[start..<min(sources.count, start + chunk)])
        start += batch.count
        if multi {
          // One picture at a time: the reader classifies its candidate digits as it goes.
          let reader = NumberReader()
          for picture in batch.flatMap(Self.decode) {
            switch picture {
            case .failed(let name, let message):
              failures += 1
              output.failure(name, message)
            case .image(let name, let image):
              let reading = reader.read(image) { classifier.probabilities($0) }
              try classifier.network.backend.throwIfFaulted()
              output.number(name, reading)
            }
          }
        } else {
          let prepared = Self.prepareAll(batch)
          let inputs = prepared.compactMap { $0.digit?.pixels }.flatMap { $0 }
          let started = clock.now
          let probabilities = try classifier.classify(inputs)
          forward.seconds += (clock.now - started).seconds
          forward.images += inputs.count / MNISTShape.pixels
          var k = 0
          for item in prepared {
            if let message = item.error {
              failures += 1
              output.failure(item.name, message)
            } else if let digit = item.digit, digit.pixels != nil {
              let own = probabilities[(k * MNISTShape.classes)..<((k + 1) * MNISTShape.classes)]
              k += 1
              if let candidates = item.several {
                let reading = NumberReader().choose(
                  candidates, probabilities: try classifier.classify(candidates.inputs))
                if reading.digits.count >= 2 {
                  output.several(item.name, number: reading.number, pixels: digit.pixels!, probabilities: own)
                  continue
                }
              }
              output.digit(item.name, pixels: digit.pixels!, probabilities: own)
            } else {
              output.noDigit(item.name, note: item.digit?.note ?? "no digit")
            }
          }
        }
      }
      if forward.images > 1 { Console.note(forward.line) }
      if failures > 0 {
        Console.note("\(failures) of \(sources.count) input\(sources.count == 1 ? "" : "s") could not be read")
        throw ExitCode.failure
      }
    }

    // MARK: - Inputs

    enum Source: Sendable {
      case file(String)
      case data(String, Data)
      case failed(String, String)
    }

    enum Picture: Sendable {
      case image(String, GrayImage)
      case failed(String, String)
    }

    /// Decodes one input. Standard input holds one image file or raw 28x28 arrays; several
    /// arrays are named -[0], -[1], ...
    static func decode(_ source: Source) -> [Picture] {
      switch source {
      case .failed(let name, let message):
        return [.failed(name, message)]
      case .file(let path):
        do { return [.image(path, try ImageDecoder.read(path: path))] } catch { return [.failed(path, "\(error)")] }
      case .data(let name, let data):
        do {
          let images = try RawInput.images(data, name: "standard input")
          return images.count == 1
            ? [.image(name, images[0])]
            : images.enumerated().map { .image("\(name)[\($0.offset)]", $0.element) }
        } catch {
          return [.failed(name, "\(error)")]
        }
      }
    }

    struct Prepared: Sendable {
      let name: String
      var digit: PreparedDigit?
      var error: String?
      /// Set when the picture may hold several digits: the number reader's candidates.
      var several: NumberReader.Candidates?
    }

    /// Decodes and preprocesses a batch on every core, keeping the order. Each task holds
    /// one decoded picture at a time (a phone photo is ~50 MB as Floats), keeping only the
    /// 28x28 result.
    static func prepareAll(_ sources: [Source]) -> [Prepared] {
      var out = [[Prepared]](repeating: [], count: sources.count)
      out.withUnsafeMutableBufferPointer { buffer in
        nonisolated(unsafe) let slots = buffer
        DispatchQueue.concurrentPerform(iterations: sources.count) { i in
          slots[i] = decode(sources[i]).map { picture in
            switch picture {
            case .failed(let name, let message): return Prepared(name: name, error: message)
            case .image(let name, let image):
              let digit = DigitPreprocessor().prepare(image)
              let several = digit.box.flatMap {
                NumberReader.mayHoldSeveral($0) ? NumberReader().severalCandidates(image) : nil
              }
              return Prepared(name: name, digit: digit, several: several)
            }
          }
        }
      }
      return out.flatMap { $0 }
    }
  }
}

/// Formats results: text lines or JSON Lines on stdout, errors on stderr, debug images.
struct PredictionOutput {
  let json: Bool
  let topK: Int
  let classNames: [String]
  let debugFolder: String?
  /// Below this top probability: "Not sure: 1 or 7?".
  var minConfidence = 0.0

  func digit(_ name: String, pixels: [Float], probabilities: ArraySlice<Float>) {
    writeDebug(name, suffix: "", pixels: pixels)
    let ranked = DigitClassifier.ranked(probabilities)
    if case .unsure(let candidates) = DigitAnswer(probabilities, minConfidence: minConfidence) {
      if json {
        let list = candidates.map {
          JSONText.object([("digit", String($0.digit)), ("confidence", JSONText.number($0.confidence))])
        }
        Console.line(
          JSONText.object([
            ("file", JSONText.string(name)), ("digit", "null"), ("reason", JSONText.string("unsure")),
            ("candidates", JSONText.array(list)), ("confidence", JSONText.number(ranked[0].probability)),
            ("probabilities", JSONText.numbers(probabilities)),
          ]))
      } else {
        let names = candidates.map { classNames[$0.digit] }, shares = candidates.map { percent($0.confidence) }
        Console.line("\(name): Not sure: \(names.joined(separator: " or "))? (\(shares.joined(separator: ", ")))")
      }
      return
    }
    if json {
      Console.line(
        JSONText.object([
          ("file", JSONText.string(name)), ("digit", String(ranked[0].index)),
          ("confidence", JSONText.number(ranked[0].probability)),
          ("probabilities", JSONText.numbers(probabilities)),
        ]))
    } else {
      var line = "\(name): \(classNames[ranked[0].index]) (\(percent(ranked[0].probability)))"
      if topK > 1 {
        line +=
          "  next: "
          + ranked[1..<topK].map { "\(classNames[$0.index]) \(percent($0.probability))" }.joined(separator: ", ")
      }
      Console.line(line)
    }
  }

  /// A picture read as one digit that holds several (without --multi).
  func several(_ name: String, number: String, pixels: [Float], probabilities: ArraySlice<Float>) {
    writeDebug(name, suffix: "", pixels: pixels)
    if json {
      Console.line(
        JSONText.object([
          ("file", JSONText.string(name)), ("digit", "null"), ("reason", JSONText.string("several")),
          ("number", JSONText.string(number)),
          ("confidence", JSONText.number(probabilities.max() ?? 0)), ("probabilities", JSONText.numbers(probabilities)),
        ]))
    } else {
      Console.line("\(name): looks like several digits: \(number) (use --multi)")
    }
  }

  func noDigit(_ name: String, note: String) {
    if json {
      Console.line(
        JSONText.object([
          ("file", JSONText.string(name)), ("digit", "null"), ("reason", JSONText.string("blank")),
          ("confidence", "null"), ("probabilities", "null"),
          ("note", JSONText.string(note)),
        ]))
    } else {
      Console.line("\(name): no digit (\(note))")
    }
  }

  func number(_ name: String, _ reading: NumberReader.Reading) {
    for (i, d) in reading.digits.enumerated() { writeDebug(name, suffix: "-\(i + 1)", pixels: d.pixels) }
    if json {
      let digits = reading.digits.map { d in
        JSONText.object([
          ("digit", String(d.digit)), ("confidence", JSONText.number(d.confidence)),
          ("probabilities", JSONText.numbers(d.probabilities)),
          ("box", "[\(d.box.x),\(d.box.y),\(d.box.width),\(d.box.height)]"),
        ])
      }
      var fields = [
        ("file", JSONText.string(name)), ("number", reading.digits.isEmpty ? "null" : JSONText.string(reading.number)),
        ("digits", "[" + digits.joined(separator: ",") + "]"),
      ]
      if let note = reading.note { fields.append(("note", JSONText.string(note))) }
      Console.line(JSONText.object(fields))
    } else if reading.digits.isEmpty {
      Console.line("\(name): no digit (\(reading.note ?? "no ink"))")
    } else {
      let each = reading.digits.map { "\(classNames[$0.digit]) \(percent($0.confidence))" }.joined(separator: ", ")
      Console.line("\(name): \(reading.number)  (\(each))")
    }
  }

  func failure(_ name: String, _ message: String) {
    Console.note("Error: \(message)")
    if json {
      Console.line(
        JSONText.object([
          ("file", JSONText.string(name)), ("digit", "null"), ("confidence", "null"), ("probabilities", "null"),
          ("error", JSONText.string(message)),
        ]))
    }
  }

  // MARK: - Helpers

  func writeDebug(_ name: String, suffix: String, pixels: [Float]) {
    guard let debugFolder else { return }
    var stem = name == "-" ? "stdin" : name
    if stem.hasPrefix("./") { stem.removeFirst(2) }
    stem = (stem as NSString).deletingPathExtension
    stem = String(stem.map { $0 == "/" || $0 == "\\" || $0 == ":" ? "_" : $0 }).trimmingCharacters(
      in: CharacterSet(charactersIn: "_"))
    let path = (debugFolder as NSString).appendingPathComponent((stem.isEmpty ? "image" : stem) + suffix + ".png")
    let bytes = pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
    do {
      try AtomicFile.write(PNG.grayscale(bytes, width: MNISTShape.side, height: MNISTShape.side), to: path)
    } catch {
      Console.note("Error: \(path): cannot write debug image: \(error)")
    }
  }

  func percent(_ p: Float) -> String {
    // Never "100.0%": the network is never certain.
    String(format: "%.1f%%", min(Double(p) * 100, 99.9))
  }

}
