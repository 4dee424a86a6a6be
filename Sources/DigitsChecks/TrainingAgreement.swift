import DigitsCore

/// Whole training runs on several backends, for comparing them: the seed network from one
/// seed, one epoch of `Trainer` (the path `digits train` takes: the images kept by the
/// backend, each batch gathered from them, the fused backward pass and Adam, a flush a step,
/// validation through `Evaluator`) with a constant learning rate of 1e-3.
public enum TrainingAgreement {
  /// What one backend's run ended with.
  public struct Result {
    /// Every parameter tensor (`SeedNetwork.parameterValues()`).
    public var weights: [[Float]]
    /// The epoch's mean loss and accuracy, and the validation set's when there is one.
    public var record: EpochRecord
    /// The network's step counter.
    public var steps: Int
    /// What the steps asked of the device (`Trainer.stepCounters`).
    public var stepCounters: DeviceCounters
  }

  /// `train`'s settings but one epoch of `batch`-image steps at a constant learning rate of
  /// 1e-3 (the rate the agreement bound was measured at), shuffled from `seed`.
  public static func config(batch: Int, seed: UInt64) -> TrainingConfig {
    var config = TrainingConfig()
    config.epochs = 1
    config.batchSize = batch
    config.learningRate = 1e-3
    config.schedule = .constant
    config.seed = seed
    return config
  }

  /// One epoch over `data` (validated on `validation`) on every backend, each from the same
  /// initial weights of a network of `classes` outputs; throws the first backend fault.
  public static func run(
    on backends: [any Backend], data: LabeledImages, validation: LabeledImages? = nil, config: TrainingConfig,
    classes: Int = MNISTShape.classes
  ) throws -> [Result] {
    try backends.map { backend in
      let trainer = Trainer(
        network: SeedNetwork(backend: backend, seed: config.seed, classes: classes), config: config)
      try trainer.run(train: data, validation: validation, observer: nil)
      let network = trainer.network
      let result = Result(
        weights: network.parameterValues(), record: trainer.history[0], steps: network.step,
        stepCounters: trainer.stepCounters)
      try backend.throwIfFaulted()
      return result
    }
  }

  /// Where `observed` and `expected` (runs over `images` training images) disagree beyond
  /// `DerivedTolerance.trainingSteps`: any parameter (absolute), the mean losses (relative),
  /// or the accuracies by more than one image; empty when they agree. NaN never agrees.
  public static func mismatches(_ observed: Result, _ expected: Result, images: Int, label: String) -> [String] {
    let bound = DerivedTolerance.trainingSteps
    let specs = SeedNetwork.parameterSpecs(classes: expected.weights.last?.count ?? MNISTShape.classes)
    var found = zip(specs, zip(observed.weights, expected.weights)).compactMap { spec, pair in
      mismatchReport(pair.0, pair.1, atol: bound, rtol: 0, label: "\(label): \(spec.name)")
    }
    let (a, b) = (observed.record, expected.record)
    if !(abs(a.loss - b.loss) <= Double(bound) * abs(b.loss)) {
      found.append("\(label): mean loss \(a.loss), expected \(b.loss) (bound \(bound) relative)")
    }
    if !(abs(a.accuracy - b.accuracy) * Double(images) <= 1) {
      found.append("\(label): accuracy \(a.accuracy), expected \(b.accuracy)")
    }
    if let va = a.valLoss, let vb = b.valLoss, !(abs(va - vb) <= Double(bound) * abs(vb)) {
      found.append("\(label): validation loss \(va), expected \(vb) (bound \(bound) relative)")
    }
    return found
  }
}
