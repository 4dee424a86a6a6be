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
          digits predict --multi form.png   # several numbers: each with its box
          digits predict --debug-preprocess seen/ photo.jpg
          python3 -c 'print(*[0]*784)' | digits predict -   # raw 28x28

        Under --backend auto, fewer than 5,000 pictures are read on the CPU
        without asking OpenCL for a GPU: a GPU's start (drivers, context,
        kernels) costs more than their network work, a sixth of the time.
        """)

    /// Pictures below which `auto` reads on the CPU without asking OpenCL's drivers for a GPU.
    /// Loading the drivers alone costs about 35 ms (PoCL's LLVM, Mesa), a context and the
    /// kernels more; the network is a sixth of `predict`'s time (the rest is decoding and
    /// layout, on the CPU either way) and the CPU runs it at about 50,000 inputs a second on
    /// two cores (a 2-core EPYC), so a GPU can win back its start only on thousands of pictures.
    static let picturesWorthAGPU = 5_000

    @Argument(
      help: ArgumentHelp(
        "Image files, folders (searched recursively), or - for standard input.",
        valueName: "file|dir|-"))
    var inputs: [String]

    @Option(help: "Model file (default: the built-in model).")
    var model: String?

    @OptionGroup var backendOptions: BackendOptions

    @Option(name: .customLong("top-k"), help: "Guesses shown per picture, best first (at most the model's classes).")
    var topK = 3

    @Flag(
      help:
        "Print JSON Lines: file, then the fields /api/predict answers (digit: the class index, null when none, with a reason; label: the class name; confidence, probabilities, input28, box)."
    )
    var json = false

    @Flag(
      help:
        "The picture holds numbers: split them into digits and read each number left to right, lines top to bottom (numbers more than a digit's height apart are separate)."
    )
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
      guard (1...SeedNetwork.classRange.upperBound).contains(topK) else {
        throw ValidationError("--top-k must be 1 to \(SeedNetwork.classRange.upperBound), got \(topK)")
      }
      if inputs.filter({ $0 == "-" }).count > 1 { throw ValidationError("- (standard input) can be given once") }
      if let minConfidence, !(0...1).contains(minConfidence) {
        throw ValidationError("--min-confidence must be 0 to 1, got \(minConfidence)")
      }
    }

    func run() async throws {
      let file = try model.map { try ModelFile.read(path: $0) } ?? DefaultModel.load()
      if multi, !file.hasDigitClasses {
        throw DigitsError.file(model ?? DefaultModel.name, PictureReader.notDigitsProblem(classNames: file.classNames))
      }
      if let debugPreprocess {
        do {
          try FileManager.default.createDirectory(atPath: debugPreprocess, withIntermediateDirectories: true)
        } catch {
          throw DigitsError.file(debugPreprocess, "cannot create folder: \(error.localizedDescription)")
        }
      }
      let sources = PicturePredictor.sources(inputs) { FileHandle.standardInput.readDataToEndOfFile() }
      let backend = try BackendFactory.make(backendOptions, smallJob: sources.count < Self.picturesWorthAGPU)
      let classifier = DigitClassifier(model: file, backend: backend, minConfidence: minConfidence)
      // Only a digit model reads numbers, so only it needs the judge.
      let judge = file.hasDigitClasses ? try DefaultModel.judge() : nil
      let predictor = PicturePredictor(classifier: classifier, multi: multi, judge: judge)
      let output = PredictionOutput(
        json: json, topK: topK, classNames: classifier.classNames, debugFolder: debugPreprocess)

      var failures = 0
      try predictor.read(sources) { outcome in
        switch outcome {
        case .failed(let name, let message):
          failures += 1
          output.failure(name, message)
        case .answered(let name, let answer):
          output.answer(name, answer)
        }
      }
      let forward = ForwardRate(
        images: predictor.forwardImages, seconds: predictor.forwardSeconds, backend: classifier.network.backend.name)
      if forward.images > 1 { Console.note(forward.line) }
      if failures > 0 {
        Console.note("\(failures) of \(sources.count) input\(sources.count == 1 ? "" : "s") could not be read")
        throw ExitCode.failure
      }
    }
  }
}

/// Prints answers: text lines or JSON Lines (the API's schema, with `file`) on stdout, errors
/// on stderr, debug images.
struct PredictionOutput {
  let json: Bool
  let topK: Int
  let classNames: [String]
  let debugFolder: String?

  func answer(_ name: String, _ answer: PictureAnswer) {
    switch answer {
    case .digit(let digit): writeDebug(name, suffix: "", pixels: digit.pixels)
    case .number(let reading):
      for (i, d) in reading.digits.enumerated() { writeDebug(name, suffix: "-\(i + 1)", pixels: d.pixels) }
    case .blank: break
    }
    if json {
      Console.line(answer.json(classNames: classNames, file: name))
      return
    }
    switch answer {
    case .digit(let digit): Console.line(text(name, digit))
    case .blank(let note): Console.line("\(name): no digit (\(note))")
    case .number(let reading):
      if reading.digits.isEmpty {
        Console.line("\(name): no digit (\(reading.note ?? "no ink"))")
      } else {
        func each(_ number: NumberReader.Number) -> String {
          number.digits.map { i in
            let digit = reading.digits[i]
            guard reading.unsure.contains(i) else { return "\(classNames[digit.digit]) \(percent(digit.confidence))" }
            let ranked = DigitClassifier.ranked(digit.probabilities[...]).prefix(2)
            return "? " + ranked.map { "\(classNames[$0.index]) \(percent($0.probability))" }.joined(separator: " or ")
          }.joined(separator: ", ")
        }
        if reading.numbers.count == 1 {
          Console.line("\(name): \(reading.text)  (\(each(reading.numbers[0])); number \(percent(reading.confidence)))")
        } else {
          Console.line("\(name): \(reading.text)  (\(reading.numbers.count) numbers)")
          for number in reading.numbers {
            let box = number.box
            Console.line(
              "  \(reading.text(number)) at \(box.x),\(box.y) \(box.width)x\(box.height)  (\(each(number)); number \(percent(number.confidence)))"
            )
          }
        }
      }
    }
  }

  /// "photo.jpg: 7 (99.9%)  next: ...", "Not sure: 1 or 7?", or several digits read as one.
  func text(_ name: String, _ digit: PictureAnswer.Digit) -> String {
    if let number = digit.several { return "\(name): looks like several digits: \(number) (use --multi)" }
    if case .unsure(let candidates) = digit.answer {
      let names = candidates.map { classNames[$0.digit] }, shares = candidates.map { percent($0.confidence) }
      return "\(name): Not sure: \(names.joined(separator: " or "))? (\(shares.joined(separator: ", ")))"
    }
    let ranked = DigitClassifier.ranked(digit.probabilities[...])
    var line = "\(name): \(classNames[ranked[0].index]) (\(percent(ranked[0].probability)))"
    let shown = min(topK, ranked.count)
    if shown > 1 {
      line +=
        "  next: "
        + ranked[1..<shown].map { "\(classNames[$0.index]) \(percent($0.probability))" }.joined(separator: ", ")
    }
    return line
  }

  func failure(_ name: String, _ message: String) {
    Console.note("Error: \(message)")
    if json { Console.line(PictureAnswer.failureJSON(file: name, message: message)) }
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
