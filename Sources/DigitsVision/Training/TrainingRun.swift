import DigitsCore
import Foundation

/// `digits train` without the process: plans the run (a fresh one, or `resume` of the
/// checkpoint next to `out`, refused when the request differs from it), loads the data,
/// trains writing the model and a checkpoint after every epoch, calibrates on the validation
/// split; `Finished.writeReport` then writes the HTML report. Progress goes to the observer and to `note`.
public struct TrainingRun {
  /// What the command line asked for; nil where an option was not given.
  public var request: TrainPlan.Request
  /// Where the model goes; the checkpoint goes beside it (`checkpointPath`).
  public var out: String
  /// Continue the checkpoint's run.
  public var resume: Bool
  /// `--data`: the folder of the data set's IDX files, or a folder of pictures (nil: the usual places).
  public var dataPath: String?
  /// `--dataset` (nil: the checkpoint's, else a folder of pictures at `dataPath`, else MNIST).
  public var dataset: NamedDataset?
  /// `--layout` of a folder of pictures (nil: the checkpoint's, else `mnist`).
  public var layout: ModelFile.Layout?
  /// The data to train on, loaded by the caller; nil: `loadDataset(dataPath:kind:)`.
  public var source: Source?

  public init(
    request: TrainPlan.Request = .init(), out: String, resume: Bool = false, dataPath: String? = nil,
    dataset: NamedDataset? = nil, layout: ModelFile.Layout? = nil
  ) {
    self.request = request
    self.out = out
    self.resume = resume
    self.dataPath = dataPath
    self.dataset = dataset
    self.layout = layout
  }

  /// What a finished run leaves to its caller: the trainer's step statistics and the backend
  /// (for `--profile`), and what the report needs.
  public struct Finished {
    public let trainer: Trainer
    public let backend: any Backend
    let out: String
    let test: LabeledImages
    let dataPath: String

    /// Evaluates the model on the test set and writes the HTML report to `path`.
    public func writeReport(to path: String) throws {
      let probabilities = try Evaluator(network: trainer.network).probabilities(test)
      try HTMLReport(
        modelPath: out, model: try ModelFile.read(path: out), test: test, probabilities: probabilities,
        evaluationBackend: backend.name, dataPath: dataPath
      ).write(to: path)
    }
  }

  /// model.safetensors -> model.checkpoint.safetensors, next to it.
  public var checkpointPath: String { Self.checkpointPath(for: out) }

  public static func checkpointPath(for out: String) -> String {
    let url = URL(fileURLWithPath: out)
    let stem =
      url.pathExtension == "safetensors" ? url.deletingPathExtension().lastPathComponent : url.lastPathComponent
    return url.deletingLastPathComponent().appendingPathComponent(stem + ".checkpoint.safetensors").path
  }

  /// Runs it. `makeBackend` is called once the data is loaded and the plan is known good.
  public func run(
    makeBackend: () throws -> any Backend, observer: (any TrainingObserver)? = nil, note: (String) -> Void = { _ in }
  ) throws -> Finished {
    let checkpointPath = self.checkpointPath
    var resumed: ModelFile?
    var plan = TrainPlan(fresh: request)
    var differences: [String] = []
    if resume {
      guard FileManager.default.fileExists(atPath: checkpointPath) else {
        throw DigitsError.file(checkpointPath, "no checkpoint to resume from; train without --resume first")
      }
      let checkpoint = try ModelFile.read(path: checkpointPath)
      guard checkpoint.adam != nil, let facts = checkpoint.facts else {
        throw DigitsError.file(checkpointPath, "holds no optimizer state or training facts; not a checkpoint")
      }
      plan = try TrainPlan(resuming: facts, request: request, checkpoint: checkpointPath, differences: &differences)
      if let given = dataset, given.name != checkpoint.datasetName {
        differences.append("  --dataset: checkpoint \(checkpoint.datasetName), command line \(given.name)")
      }
      if let given = layout, given != checkpoint.layout {
        differences.append("  --layout: checkpoint \(checkpoint.layout.rawValue), command line \(given.rawValue)")
      }
      resumed = checkpoint
    }
    let dataset = self.dataset ?? resumed.flatMap { NamedDataset(name: $0.datasetName) }
    let source =
      try self.source
      ?? Self.loadDataset(dataPath: dataPath, dataset: dataset, layout: layout ?? resumed?.layout)
    var training = source.training
    var test: LabeledImages
    if let given = source.test {
      test = given
    } else {
      (training, test) = ClassifiedDataset.holdOut(
        training, fraction: Self.heldOutTestFraction, seed: plan.config.seed)
      note("\(source.name) has no test split: holding out \(test.count) images (seeded) to test on")
    }
    if let resumed, resumed.datasetName == source.name, resumed.classNames != source.classNames {
      differences.append(
        "  classes: checkpoint has \(resumed.classNames.count), \(source.name) has \(source.classNames.count) (or other names)"
      )
    }
    if let limit = plan.limit, limit < training.count { training = training.slice(0..<limit) }
    let dataSHA256 = TrainingFacts.dataSHA256(training)
    if let recorded = resumed?.facts?.dataSHA256, recorded != dataSHA256 {
      differences.append(
        "  --data: checkpoint's training data has SHA-256 \(recorded.prefix(16))..., \(source.location) gives \(dataSHA256.prefix(16))..."
      )
    }
    if !differences.isEmpty {
      throw DigitsError.file(
        checkpointPath,
        "--resume refused: the command line differs from the checkpoint's run in \(differences.count) setting\(differences.count == 1 ? "" : "s") (leave an option out to keep the checkpoint's value):\n"
          + differences.joined(separator: "\n"))
    }
    if let resumed, resumed.history.count >= plan.epochs {
      throw DigitsError.file(
        checkpointPath, "already holds all \(resumed.history.count) epochs of its run; ask for more with --epochs")
    }
    var (train, validationSet) = Trainer.split(training: training, test: test, validation: plan.validation.source)
    if plan.recipe == .best, source.classNames == DatasetKind.mnist.classNames,
      source.name == DatasetKind.mnist.rawValue
    {
      train = GeneratedDigits.mixed(into: train, seed: plan.config.seed)
    }

    let backend = try makeBackend()
    let config = plan.config
    let network =
      resumed.map { SeedNetwork(backend: backend, values: $0.parameters, adam: $0.adam) }
      ?? SeedNetwork(backend: backend, seed: config.seed, classes: source.classNames.count)
    let trainer = Trainer(network: network, config: config, history: resumed?.history ?? [])

    if let resumed {
      note("resuming at epoch \(resumed.history.count + 1) of \(plan.epochs) from \(checkpointPath)")
    }
    note(
      "training on \(train.count) images of \(source.classNames.count) classes from \(source.location), validating on \(validationSet?.count ?? 0) (\(plan.validation.source.label)); backend \(backend.name)"
    )
    let date = ISO8601DateFormatter().string(from: Date())
    var facts = plan.facts(backend: backend.name, trainingImages: train.count, dataSHA256: dataSHA256, date: date)
    if let resumed, var continued = resumed.facts {
      continued.epochs = plan.epochs
      continued.version = DigitsVersion.current
      continued.resumes =
        (continued.resumes ?? []) + [.init(epoch: resumed.history.count + 1, backend: backend.name, date: date)]
      facts = continued
    }
    try trainer.run(train: train, validation: validationSet, observer: observer) { history in
      // The model first, then the checkpoint: a kill between the two leaves the checkpoint
      // one epoch behind, and --resume redoes that epoch to the same bits. The other order
      // could leave a finished checkpoint beside a model one epoch old.
      // A device fault gives zeros for weights: checked before anything is written.
      let model = ModelFile(
        parameters: network.parameterValues(), datasetName: source.name, classNames: source.classNames,
        layout: source.layout, history: history, facts: facts)
      var checkpoint = model
      checkpoint.adam = network.adamState()
      try backend.throwIfFaulted()
      try model.write(to: out)
      try checkpoint.write(to: checkpointPath)
    }
    if let validationSet {
      // Temperature and unsure threshold from the validation split (see Calibration).
      let probabilities = try Evaluator(network: network).probabilities(validationSet)
      var model = try ModelFile.read(path: out)
      model.calibration = Calibration.fit(probabilities: probabilities, labels: validationSet.labels)
      try model.write(to: out)
      note(
        "calibrated on \(validationSet.count) validation images: temperature \(String(format: "%.3f", model.calibration!.temperature)), unsure below \(String(format: "%.3f", model.calibration!.threshold))"
      )
    }
    note("wrote \(out) (checkpoint: \(checkpointPath))")
    return Finished(trainer: trainer, backend: backend, out: out, test: test, dataPath: source.location)
  }

  /// Share of a set without a test split held out (seeded, per class) to test on.
  public static let heldOutTestFraction = 0.1

  /// What a run trains on: where the data comes from and how its pictures were laid out.
  public struct Source {
    public var dataset: ClassifiedDataset
    /// The folder (or archive) it was read from, for messages and the report.
    public var location: String
    public var layout: ModelFile.Layout

    public init(dataset: ClassifiedDataset, location: String, layout: ModelFile.Layout) {
      self.dataset = dataset
      self.layout = layout
      self.location = location
      self.layout = layout
    }

    public var training: LabeledImages { dataset.training }
    public var test: LabeledImages? { dataset.test }
    public var classNames: [String] { dataset.classNames }
    public var name: String { dataset.name }
  }

  /// The data a run trains on, from the loader `--data` and `--dataset` pick: a folder of
  /// pictures (`--data DIR` holding class folders, no `--dataset`), laid out by `layout`; an
  /// EMNIST split; or an MNIST-format IDX folder (the default, MNIST).
  public static func loadDataset(dataPath: String?, dataset: NamedDataset?, layout: ModelFile.Layout?) throws -> Source
  {
    if dataset == nil, let dataPath, ImageFolderDataset.isPictureFolder(dataPath) {
      let layout = layout ?? .mnist
      var set = try ImageFolderDataset.load(dataPath, layout: layout)
      // Read class by class: shuffled (always the same way) so that the validation split,
      // the training set's last part, holds every class.
      set.training = set.training.shuffled(seed: 0x5EED)
      return Source(dataset: set, location: dataPath, layout: layout)
    }
    if let layout, layout != .mnist {
      throw DigitsError(
        "--layout \(layout.rawValue) applies to a folder of pictures (--data DIR holding a folder per class)")
    }
    let (set, location) = try (dataset ?? .idx(.mnist)).load(folder: dataPath)
    return Source(dataset: set, location: location, layout: .mnist)
  }
}
