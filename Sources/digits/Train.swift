import ArgumentParser
import DigitsCore
import Foundation

extension Digits {
  struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train the seed CNN and write the model file.",
      discussion: """
        Trains Conv32-Pool-Conv64-Pool-Dense128-Dense10 with Adam, batch 128,
        learning rate 3e-3 decaying along a cosine (--schedule constant
        --learning-rate 0.001 is the Keras recipe of the seed report).
        After every epoch the model and a checkpoint with the optimizer state
        are written atomically: an interrupted run loses at most one epoch,
        and --resume continues it.

        Examples:
          digits train                           # 10 epochs -> model.safetensors
          digits train --epochs 1 --validation test
          digits train --backend cpu --limit 6000 --epochs 3 --out small.safetensors
          digits train --epochs 15 --resume      # continue a run to 15 epochs
          digits train --recipe best             # how the built-in model was made
        """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var backendOptions: BackendOptions

    @Option(help: "Number of epochs (total, counting resumed ones). Default: 10, or 30 with --recipe best.")
    var epochs: Int?

    @Option(help: "Recipe: seed (plain training, the default) or best (on-the-fly augmentation: rotation, scale, slant, shift, stroke width, blur, noise; generalises to real pictures). --resume keeps the checkpoint's.")
    var recipe: TrainingRecipe?

    @Option(help: "Seed for initial weights and shuffling.")
    var seed: UInt64 = 42

    @Option(help: "Where to write the model (safetensors).")
    var out = "model.safetensors"

    @Option(help: "Train on the first N training images only.")
    var limit: Int?

    @Option(help: "Validation images: split (last 10% of the training set) or test (the test set, as the seed did).")
    var validation: ValidationChoice = .split

    @Option(name: .customLong("batch-size"), help: "Images per step.")
    var batchSize = 128

    @Option(name: .customLong("learning-rate"), help: "Adam learning rate at the start of the run (Keras' default is 0.001).")
    var learningRate: Float = TrainingConfig().learningRate

    @Option(help: "Learning-rate schedule over the whole run: constant (Keras' default) or cosine (decays to 1%).")
    var schedule: LearningRateSchedule = TrainingConfig().schedule

    @Flag(help: "Continue from the checkpoint next to --out.")
    var resume = false

    @Option(help: ArgumentHelp("After training, evaluate on the test set and write an HTML report.", valueName: "file.html"))
    var report: String?

    func validate() throws {
      if let epochs, epochs < 1 { throw ValidationError("--epochs must be 1 or more, got \(epochs)") }
      if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more, got \(limit)") }
      guard batchSize >= 1 else { throw ValidationError("--batch-size must be 1 or more, got \(batchSize)") }
      guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
      guard !out.isEmpty else { throw ValidationError("--out must name a file") }
    }

    func run() async throws {
      let folder = try dataOptions.locate()
      var training = try folder.loadTraining()
      let test = try folder.loadTest()
      if let limit, limit < training.count { training = training.slice(0..<limit) }
      let (train, validationSet) = Trainer.split(training: training, test: test, validation: validation.source)

      let checkpointPath = Self.checkpointPath(for: out)
      var resumed: ModelFile?
      if resume {
        guard FileManager.default.fileExists(atPath: checkpointPath) else {
          throw DigitsError.file(checkpointPath, "no checkpoint to resume from; train without --resume first")
        }
        resumed = try ModelFile.read(path: checkpointPath)
        guard resumed?.adam != nil else { throw DigitsError.file(checkpointPath, "holds no optimizer state; not a checkpoint") }
        guard resumed?.dataset == dataOptions.dataset else {
          throw DigitsError.file(checkpointPath, "was trained on \(resumed!.dataset.rawValue), not \(dataOptions.dataset.rawValue)")
        }
      }

      let backend = try BackendFactory.make(backendOptions)
      var config = TrainingConfig()
      let recipe = self.recipe ?? resumed?.facts.flatMap { TrainingRecipe(rawValue: $0.recipe) } ?? .seed
      config.epochs = epochs ?? recipe.defaultEpochs
      config.batchSize = batchSize
      config.learningRate = learningRate
      config.schedule = schedule
      recipe.apply(to: &config)
      config.seed = resumed?.facts?.seed ?? seed
      let network = resumed.map { SeedNetwork(backend: backend, values: $0.parameters, adam: $0.adam) }
        ?? SeedNetwork(backend: backend, seed: config.seed)
      let trainer = Trainer(network: network, config: config, history: resumed?.history ?? [])
      if trainer.history.count >= config.epochs {
        throw DigitsError.file(checkpointPath, "already holds \(trainer.history.count) epochs; ask for more with --epochs")
      }

      Console.note("training on \(train.count) images from \(folder.path), validating on \(validationSet?.count ?? 0) (\(validation.source.label)); backend \(backend.name)")
      let facts = TrainingFacts(
        seed: config.seed, backend: backend.name, batchSize: batchSize, validation: validation.source.label,
        trainingImages: train.count, recipe: config.recipe, date: ISO8601DateFormatter().string(from: Date()))
      let progress = TrainingProgress()
      try trainer.run(train: train, validation: validationSet, observer: progress) { history in
        let adam = network.adamState()
        let model = ModelFile(parameters: network.parameterValues(), dataset: dataOptions.dataset, history: history, facts: facts)
        var checkpoint = model
        checkpoint.adam = adam
        try checkpoint.write(to: checkpointPath)
        try model.write(to: out)
      }
      Console.note("wrote \(out) (checkpoint: \(checkpointPath))")
      if let report {
        let probabilities = Evaluator(network: network).probabilities(test)
        try HTMLReport(modelPath: out, model: try ModelFile.read(path: out), test: test, probabilities: probabilities,
                       evaluationBackend: backend.name, dataPath: folder.path).write(to: report)
        Console.note("wrote \(report)")
      }
    }

    /// model.safetensors -> model.checkpoint.safetensors, next to it.
    static func checkpointPath(for out: String) -> String {
      let url = URL(fileURLWithPath: out)
      let stem = url.pathExtension == "safetensors" ? url.deletingPathExtension().lastPathComponent : url.lastPathComponent
      return url.deletingLastPathComponent().appendingPathComponent(stem + ".checkpoint.safetensors").path
    }
  }
}

extension LearningRateSchedule: ExpressibleByArgument {}

/// `--recipe`: what a run adds to the seed's plain training.
enum TrainingRecipe: String, ExpressibleByArgument, CaseIterable {
  case seed, best

  var defaultEpochs: Int { self == .best ? 30 : 10 }

  func apply(to config: inout TrainingConfig) {
    config.recipe = rawValue
    if self == .best { config.augment = Augmentation.best.batchFunction }
  }
}

enum ValidationChoice: String, ExpressibleByArgument, CaseIterable {
  case split, test, none
  var source: ValidationSource {
    switch self {
    case .split: return .split(fraction: 0.1)
    case .test: return .test
    case .none: return .none
    }
  }
}
