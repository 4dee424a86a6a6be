import ArgumentParser
import DigitsCore
import DigitsVision
import Foundation

extension Digits {
  struct Evaluate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Score a model on the test set: accuracy, loss, confusion matrix, per-class report.",
      discussion: """
        Examples:
          digits evaluate --model model.safetensors
          digits evaluate --model model.safetensors --json > metrics.json
          digits evaluate --model model.safetensors --report report.html
        """)

    @Option(help: "Model file to evaluate.")
    var model = "model.safetensors"

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var backendOptions: BackendOptions

    @Flag(help: "Print time per op (OpenCL profiling events, CPU timers) and the device calls of the run.")
    var profile = false

    @Option(
      help: ArgumentHelp(
        "Images per forward call (default: the backend's choice, 64 on the CPU, 500 on OpenCL). "
          + "Also prints each call's median and p99 time: --batch-size 1 is one picture's latency.",
        valueName: "n"))
    var batchSize: Int?

    func validate() throws {
      if let batchSize, !(1...TrainingLimits.batchSize).contains(batchSize) {
        throw ValidationError("--batch-size must be 1 to \(TrainingLimits.batchSize), got \(batchSize)")
      }
    }

    @Flag(help: "Print one JSON object with keys accuracy, loss, confusion, per_class.")
    var json = false

    @Option(
      help: ArgumentHelp(
        "Also write an HTML report (curves, confusion matrix, misclassified digits).", valueName: "file.html"))
    var report: String?

    func run() async throws {
      let file = try ModelFile.read(path: model)
      let (test, dataPath) = try testSet(for: file)
      let backend = try Profiling.backend(backendOptions, profile: profile)
      let network = SeedNetwork(backend: backend, values: file.parameters)
      var batchSeconds: [Double] = []
      let clock = ContinuousClock(), started = clock.now, cpuStarted = processCPUSeconds()
      let raw = try Evaluator(network: network, batchSize: batchSize).probabilities(
        test, batchTime: batchSize == nil ? nil : { batchSeconds.append($0.seconds) })
      let forward = ForwardRate(
        images: test.count, seconds: (clock.now - started).seconds, backend: backend.name, batchSeconds: batchSeconds,
        cpuSeconds: processCPUSeconds() - cpuStarted)
      // Loss and confidences with the model's temperature (1 for files without one).
      let probabilities = file.effectiveCalibration.apply(raw, classes: file.classes)
      let report = ClassificationReport(labels: test.labels, probabilities: probabilities, classNames: file.classNames)
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
      } else {
        print("\(model) on \(test.count) test images (\(backend.name))")
        print(report.text)
        print(forward.line)
      }
      if json { Console.note(forward.line) }
      if profile { Profiling.print(backend) }
      if let path = self.report {
        try HTMLReport(
          modelPath: model, model: file, test: test, probabilities: raw,
          evaluationBackend: backend.name, dataPath: dataPath
        ).write(to: path)
        Console.note("wrote \(path)")
      }
    }
  }
}

extension Digits.Evaluate {
  /// The test images `file` is scored on and where they came from: `--data` when it is a
  /// folder of pictures (its test/ part, else every picture, laid out as the model's layout
  /// says; its classes must be the model's), else the model's own data set (or `--dataset`)
  /// from `--data` or the usual places. Labels past the model's classes are an error naming
  /// the data.
  func testSet(for file: ModelFile) throws -> (LabeledImages, String) {
    let test: LabeledImages, location: String
    if dataOptions.dataset == nil, let folder = dataOptions.data, ImageFolderDataset.isPictureFolder(folder) {
      let set = try ImageFolderDataset.load(folder, layout: file.layout)
      guard set.classNames == file.classNames else {
        throw DigitsError.file(
          folder,
          "holds classes \(set.classNames.prefix(5).joined(separator: ", "))\(set.classNames.count > 5 ? ", ..." : "") (\(set.classNames.count)), not \(model)'s \(file.classes)"
        )
      }
      (test, location) = (set.test ?? set.training, folder)
    } else if let named = dataOptions.dataset ?? NamedDataset(name: file.datasetName) {
      (test, location) = try named.loadTest(folder: dataOptions.data)
    } else {
      throw DigitsError(
        "\(model) was trained on the pictures of \"\(file.datasetName)\": pass that folder with --data (its test/ part is used when it has one)"
      )
    }
    if let bad = test.labels.firstIndex(where: { Int($0) >= file.classes }) {
      throw DigitsError.file(
        location, "test label \(test.labels[bad]) at index \(bad) is not one of \(model)'s \(file.classes) classes")
    }
    return (test, location)
  }
}
