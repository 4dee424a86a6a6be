import Foundation

/// Fine-tuning a trained model on a writer's corrections without forgetting MNIST.
///
/// The corrections (a few dozen images) are mixed with a random "replay" sample of the MNIST
/// training set, each correction repeated so that it makes up `correctionShare` of the mix;
/// the existing `Trainer` then runs a short cosine schedule from a low learning rate with a
/// fresh Adam state. Alone, a few dozen images at any useful rate drag the weights towards
/// them and MNIST accuracy falls; with the replay in every batch, the gradient keeps pulling
/// back towards MNIST, so the writer's style is added rather than substituted.
///
/// Measured on one simulated writer (10 corrections of a flagged `1`; README, drawing page):
/// with the built-in recipe's augmentation, a 25% share cost 1.5 points of MNIST test
/// accuracy and 10% cost 1.0 point, so callers pass no augmentation. Without it, every
/// setting tried read all 20 new drawings of the writer's `1` right, and the MNIST cost was
/// 0.28 points for 2 epochs of 6,000 replay images, 10% share, Adam 3e-4; 0.18 with a 5%
/// share; 0.15 for 1 epoch of 12,000; 0.12 for 1 epoch of 20,000 at 2e-4 (all on a built-in
/// model at 99.56%); on the next built-in model (99.50%) the last cost 0.21, and 0.14 with
/// `blend` 0.8 (see `blend` for why the default is 1).
public enum Finetune {
  public struct Recipe: Sendable, Equatable {
    /// MNIST training images replayed (a fresh random sample per run).
    public var replayImages = 20_000
    /// Share of the mix that is corrections (each repeated). More shifts the classes' prior
    /// towards the corrected digits and costs MNIST accuracy.
    public var correctionShare = 0.05
    public var epochs = 1
    /// A fifteenth of from-scratch training's 3e-3: the model only needs nudging.
    public var learningRate: Float = 2e-4
    public var batchSize = 128
    /// The model written is base + blend * (fine-tuned - base). Uncalibrated, 0.8 cost MNIST
    /// 0.14 points where 1 cost 0.21, both reading 19 of 20 of the writer's new `1`s; once the
    /// fine-tuned model is calibrated like any other, 0.8 leaves those `1`s "not sure: 1 or 7"
    /// and 1 reads them, so all of what was learnt is kept (the server's accuracy-drop rule,
    /// 0.5 points, still guards MNIST).
    public var blend: Float = 1
    public var seed: UInt64 = 42
    /// At most this many corrections are used (the newest); more would only slow it down.
    public static let maxCorrections = 10_000

    public init() {}

    /// One line for logs and model metadata.
    public var summary: String {
      "\(epochs) epoch\(epochs == 1 ? "" : "s") of \(replayImages) MNIST replay images + corrections repeated to "
        + "\(Int((correctionShare * 100).rounded()))% of the mix, Adam \(learningRate) cosine, batch \(batchSize), "
        + "\(Int((blend * 100).rounded()))% of the change kept"
    }
  }

  /// The training set of a fine-tune: `replay`'s sample plus `corrections` repeated to
  /// `recipe.correctionShare` of the total, in that order (the trainer shuffles).
  public static func mix(corrections: LabeledImages, replay: LabeledImages, recipe: Recipe) -> LabeledImages {
    precondition(corrections.count > 0 && corrections.pixelsPerImage == replay.pixelsPerImage)
    var rng = SeededGenerator(seed: recipe.seed ^ 0x9E37_79B9_7F4A_7C15)
    let sample = rng.permutation(replay.count).prefix(min(recipe.replayImages, replay.count))
    let share = min(max(recipe.correctionShare, 0.01), 0.9)
    let slots = max(corrections.count, Int((Double(sample.count) * share / (1 - share)).rounded()))
    let p = replay.pixelsPerImage
    var images = [UInt8](), labels = [LabeledImages.Label]()
    images.reserveCapacity((sample.count + slots) * p)
    labels.reserveCapacity(sample.count + slots)
    for index in sample {
      images += replay.images[(index * p)..<((index + 1) * p)]
      labels.append(replay.labels[index])
    }
    for slot in 0..<slots {
      let index = slot % corrections.count
      images += corrections.images[(index * p)..<((index + 1) * p)]
      labels.append(corrections.labels[index])
    }
    return LabeledImages(images: images, labels: labels, rows: replay.rows, columns: replay.columns)
  }

  /// The trainer's configuration for `recipe`; `augment` varies the repeated corrections.
  public static func config(_ recipe: Recipe, augment: (@Sendable (inout [Float], Int, inout SeededGenerator) -> Void)?)
    -> TrainingConfig
  {
    var config = TrainingConfig()
    config.epochs = recipe.epochs
    config.learningRate = recipe.learningRate
    config.batchSize = recipe.batchSize
    config.seed = recipe.seed
    config.schedule = .cosine
    config.augment = augment
    config.recipe = "finetune"
    return config
  }

  /// Fine-tunes `model` on `backend` and returns the new model: its history is the old one
  /// plus the fine-tune's epochs (validated on `validation` when given, e.g. the MNIST test
  /// set, so the file says what the fine-tune cost there), its facts say it was fine-tuned.
  public static func run(
    model: ModelFile, corrections: LabeledImages, replay: LabeledImages, validation: LabeledImages?,
    backend: any Backend, recipe: Recipe = Recipe(),
    augment: (@Sendable (inout [Float], Int, inout SeededGenerator) -> Void)? = nil,
    observer: TrainingObserver? = nil, date: String = ISO8601DateFormatter().string(from: Date())
  ) throws -> ModelFile {
    guard corrections.count > 0 else { throw DigitsError("no corrections to fine-tune on") }
    let train = mix(corrections: corrections, replay: replay, recipe: recipe)
    let network = SeedNetwork(backend: backend, values: model.parameters)
    let trainer = Trainer(network: network, config: config(recipe, augment: augment))
    try trainer.run(train: train, validation: nil, observer: observer)
    try backend.throwIfFaulted()
    let blend = recipe.blend
    let tuned = zip(model.parameters, network.parameterValues()).map { old, new in
      zip(old, new).map { $0 + blend * ($1 - $0) }
    }
    // The blended weights are the model: they are the ones validated.
    let scores = try validation.map {
      try Evaluator(network: SeedNetwork(backend: backend, values: tuned)).lossAndAccuracy($0)
    }
    let offset = model.history.count
    let history =
      model.history
      + trainer.history.map { record in
        var record = record
        record.epoch += offset
        record.valLoss = scores?.loss
        record.valAccuracy = scores?.accuracy
        return record
      }
    var facts = TrainingFacts(
      seed: recipe.seed, backend: backend.name, batchSize: recipe.batchSize,
      validation: validation == nil ? ValidationSource.none.label : ValidationSource.test.label,
      trainingImages: train.count, recipe: "finetune", date: date)
    facts.epochs = history.count
    facts.learningRate = recipe.learningRate
    facts.schedule = .cosine
    facts.scheduleEpochs = recipe.epochs
    return ModelFile(
      parameters: tuned, datasetName: model.datasetName, classNames: model.classNames, layout: model.layout,
      history: history, facts: facts)
  }
}
