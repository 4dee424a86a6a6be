import DigitsCore
import Foundation

/// The settings that decide a run's weights. A fresh run takes them from the command line
/// (defaults for what is left out). `--resume` takes them from the checkpoint: an option left
/// out takes the checkpoint's value, an option given with another value is a difference, and
/// any difference refuses the resume. Continuing with other settings would give weights no
/// uninterrupted run gives, while the file would claim one run; refusing keeps the file true.
public struct TrainPlan: Equatable {
  public var epochs: Int
  /// Epochs the learning-rate schedule spans: the first run's `--epochs`, kept by extensions.
  public var scheduleEpochs: Int
  public var schedule: LearningRateSchedule
  public var learningRate: Float
  public var batchSize: Int
  public var seed: UInt64
  public var recipe: TrainingRecipe
  public var limit: Int?
  public var validation: ValidationChoice

  /// What the command line asked for; nil where an option was not given.
  public struct Request {
    public var epochs: Int?
    public var schedule: LearningRateSchedule?
    public var learningRate: Float?
    public var batchSize: Int?
    public var seed: UInt64?
    public var recipe: TrainingRecipe?
    public var limit: Int?
    public var validation: ValidationChoice?

    public init(
      epochs: Int? = nil, schedule: LearningRateSchedule? = nil, learningRate: Float? = nil, batchSize: Int? = nil,
      seed: UInt64? = nil, recipe: TrainingRecipe? = nil, limit: Int? = nil, validation: ValidationChoice? = nil
    ) {
      self.epochs = epochs
      self.schedule = schedule
      self.learningRate = learningRate
      self.batchSize = batchSize
      self.seed = seed
      self.recipe = recipe
      self.limit = limit
      self.validation = validation
    }
  }

  public static let defaultSeed: UInt64 = 42
  public static let defaultBatchSize = 128

  /// A fresh run: the request, with defaults for what it leaves out.
  public init(fresh r: Request) {
    recipe = r.recipe ?? .seed
    epochs = r.epochs ?? recipe.defaultEpochs
    scheduleEpochs = epochs
    schedule = r.schedule ?? TrainingConfig().schedule
    learningRate = r.learningRate ?? TrainingConfig().learningRate
    batchSize = r.batchSize ?? Self.defaultBatchSize
    seed = r.seed ?? Self.defaultSeed
    limit = r.limit
    validation = r.validation ?? .split
  }

  /// The checkpoint's run, continued as `r` asks; `differences` gets one line per option
  /// whose value differs from the checkpoint's ("  --seed: checkpoint 42, command line 7").
  /// `--epochs` above the recorded total extends the run (the schedule keeps its horizon);
  /// below it is a difference: a run can be extended, not shortened.
  public init(resuming facts: TrainingFacts, request r: Request, checkpoint: String, differences: inout [String]) throws
  {
    guard facts.recordsRun, let total = facts.epochs, let schedule = facts.schedule,
      let scheduleEpochs = facts.scheduleEpochs, let learningRate = facts.learningRate
    else {
      throw DigitsError.file(
        checkpoint,
        "was written before digits recorded a run's settings, so --resume cannot continue it exactly; train again without --resume"
      )
    }
    guard let recipe = TrainingRecipe(rawValue: facts.recipe) else {
      throw DigitsError.file(checkpoint, "recipe \"\(facts.recipe.prefix(40))\" is unknown to this digits")
    }
    guard let validation = ValidationChoice.allCases.first(where: { $0.source.label == facts.validation }) else {
      throw DigitsError.file(checkpoint, "validation \"\(facts.validation.prefix(60))\" is unknown to this digits")
    }
    self.schedule = schedule
    self.scheduleEpochs = scheduleEpochs
    self.learningRate = learningRate
    self.recipe = recipe
    self.validation = validation
    batchSize = facts.batchSize
    seed = facts.seed
    limit = facts.limit
    epochs = max(total, r.epochs ?? total)

    func compare<T: Equatable>(_ option: String, _ recorded: T, _ given: T?, _ text: (T) -> String) {
      if let given, given != recorded {
        differences.append("  \(option): checkpoint \(text(recorded)), command line \(text(given))")
      }
    }
    if let given = r.epochs, given < total {
      differences.append(
        "  --epochs: checkpoint \(total), command line \(given) (a run can be extended, not shortened)")
    }
    compare("--recipe", recipe, r.recipe, \.rawValue)
    compare("--seed", seed, r.seed) { String($0) }
    compare("--batch-size", batchSize, r.batchSize) { String($0) }
    compare("--learning-rate", learningRate, r.learningRate) { "\($0)" }
    compare("--schedule", schedule, r.schedule, \.rawValue)
    compare("--validation", validation, r.validation, \.rawValue)
    if let given = r.limit, given != limit {
      differences.append("  --limit: checkpoint \(limit.map(String.init) ?? "none"), command line \(given)")
    }
  }

  /// The trainer's configuration for this plan.
  public var config: TrainingConfig {
    var config = TrainingConfig()
    config.epochs = epochs
    config.scheduleEpochs = scheduleEpochs
    config.schedule = schedule
    config.learningRate = learningRate
    config.batchSize = batchSize
    config.seed = seed
    recipe.apply(to: &config)
    return config
  }

  /// Facts of a fresh run under this plan.
  public func facts(backend: String, trainingImages: Int, dataSHA256: String, date: String) -> TrainingFacts {
    var facts = TrainingFacts(
      seed: seed, backend: backend, batchSize: batchSize, validation: validation.source.label,
      trainingImages: trainingImages, recipe: recipe.rawValue, date: date)
    facts.epochs = epochs
    facts.schedule = schedule
    facts.scheduleEpochs = scheduleEpochs
    facts.learningRate = learningRate
    facts.limit = limit
    facts.dataSHA256 = dataSHA256
    return facts
  }
}

/// `--recipe`: what a run adds to the seed's plain training.
public enum TrainingRecipe: String, CaseIterable, Sendable {
  case seed, best

  public var defaultEpochs: Int { self == .best ? 30 : 10 }

  public func apply(to config: inout TrainingConfig) {
    config.recipe = rawValue
    if self == .best {
      config.augment = Augmentation.best.batchFunction
      // On a device that augments (OpenCL): the same steps but relayout's stroke adjustment,
      // so the training set stays on the device (Augmentation.bestOnDevice says why).
      config.deviceAugmentation = Augmentation.bestOnDevice.device
    }
  }
}

/// `--validation`: which images a run validates (and calibrates) on.
public enum ValidationChoice: String, CaseIterable, Sendable {
  case split, test, none

  public var source: ValidationSource {
    switch self {
    case .split: return .split(fraction: 0.1)
    case .test: return .test
    case .none: return .none
    }
  }
}
