import ArgumentParser
import DigitsCore
import DigitsVision
import Foundation

extension Digits {
  struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train the seed CNN and write the model file.",
      discussion: """
        Trains Conv32-Pool-Conv64-Pool-Dense128-Dense10 with Adam, batch 128,
        learning rate 3e-3 decaying along a cosine (--schedule constant
        --learning-rate 0.001 is the Keras recipe of the seed report).
        After every epoch the model, then a checkpoint with the optimizer state
        (model.checkpoint.safetensors next to --out) are written atomically: a
        killed run loses at most one epoch, and the model file is always either
        absent or complete.

        --resume continues the checkpoint's run to the weights an uninterrupted
        run reaches. The checkpoint records the run: epochs, schedule, learning
        rate, batch size, seed, recipe, --limit, --validation and a SHA-256 of
        the training data. Options left out take the checkpoint's values; an
        option given with another value, or other training data, refuses the
        resume and lists every difference. --epochs may grow the run: the cosine
        keeps the horizon of the first run's --epochs, so the epochs already
        trained keep their learning rates and epochs past the horizon run at its
        final rate (1% of the base); a constant schedule stays constant. For
        bit-identical weights keep the backend and --threads as well.

        --finetune DIR teaches --from's model (default: the built-in one) the
        corrections the drawing page saved in DIR (28x28 PNGs + labels.csv): 1
        epoch over 20,000 random MNIST training images plus the corrections,
        repeated to 5% of the mix, at Adam 2e-4 with a cosine decay and no
        augmentation, keeping 80% of the weights' change; the MNIST replay keeps
        what it knew (the test accuracy after it is printed). A few seconds on
        two CPU cores.

        Examples:
          digits train                           # 10 epochs -> model.safetensors
          digits train --epochs 1 --validation test
          digits train --backend cpu --limit 6000 --epochs 3 --out small.safetensors
          digits train --resume                  # finish an interrupted run
          digits train --epochs 15 --resume      # extend a 10-epoch run to 15
          digits train --recipe best             # how the built-in model was made
          digits train --finetune ~/.cache/digits/corrections --out mine.safetensors
                                                 # teach the built-in model your handwriting
        """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var backendOptions: BackendOptions

    @Flag(
      help:
        "Print time per op (OpenCL profiling events, CPU timers) and per-step launches, host waits and bytes uploaded.")
    var profile = false

    @Option(help: "Number of epochs (total, counting resumed ones). Default: 10, or 30 with --recipe best.")
    var epochs: Int?

    @Option(
      help:
        "Recipe: seed (plain training, the default) or best (on-the-fly augmentation: rotation, scale, slant, shift, stroke width, blur, noise, MNIST-style relayout; generalises to real pictures; on OpenCL done on the device, whose relayout keeps stroke width)."
    )
    var recipe: TrainingRecipe?

    @Option(help: "Seed for initial weights and shuffling. Default: 42.")
    var seed: UInt64?

    @Option(help: "Where to write the model (safetensors).")
    var out = "model.safetensors"

    @Option(help: "Train on the first N training images only.")
    var limit: Int?

    @Option(
      help:
        "Validation images: split (last 10% of the training set, the default), test (the test set, as the seed did) or none."
    )
    var validation: ValidationChoice?

    @Option(name: .customLong("batch-size"), help: "Images per step. Default: 128.")
    var batchSize: Int?

    @Option(
      name: .customLong("learning-rate"),
      help: "Adam learning rate at the start of the run (Keras' default is 0.001). Default: 0.003.")
    var learningRate: Float?

    @Option(
      help:
        "Learning-rate schedule: cosine (decays to 1% over the first run's epochs, the default) or constant (Keras' default)."
    )
    var schedule: LearningRateSchedule?

    @Flag(
      help:
        "Continue the run in the checkpoint next to --out, or refuse if the command line differs from it (see above).")
    var resume = false

    @Option(
      help: ArgumentHelp("After training, evaluate on the test set and write an HTML report.", valueName: "file.html"))
    var report: String?

    @Option(
      help: ArgumentHelp(
        "Fine-tune --from's model on the corrections in this folder (the drawing page's, see serve --corrections), mixed with MNIST replay.",
        valueName: "dir"))
    var finetune: String?

    @Option(
      help: ArgumentHelp("With --finetune: the model to start from (default: the built-in model).", valueName: "model"))
    var from: String?

    func validate() throws {
      if let epochs, !(1...TrainingLimits.epochs).contains(epochs) {
        throw ValidationError("--epochs must be 1 to \(TrainingLimits.epochs), got \(epochs)")
      }
      if let limit, !(1...TrainingLimits.images).contains(limit) {
        throw ValidationError("--limit must be 1 to \(TrainingLimits.images), got \(limit)")
      }
      if let batchSize, !(1...TrainingLimits.batchSize).contains(batchSize) {
        throw ValidationError("--batch-size must be 1 to \(TrainingLimits.batchSize), got \(batchSize)")
      }
      if let learningRate {
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
      }
      guard !out.isEmpty else { throw ValidationError("--out must name a file") }
      if finetune == nil, from != nil {
        throw ValidationError("--from is the model --finetune starts from; give --finetune DIR too")
      }
      if finetune != nil, !optionsUnusedByFinetune.isEmpty {
        throw ValidationError(
          "--finetune does not use \(optionsUnusedByFinetune.joined(separator: ", ")) (it takes --from, --out, --epochs, --learning-rate, --batch-size, --seed, --data and the backend options)"
        )
      }
    }

    var request: TrainPlan.Request {
      .init(
        epochs: epochs, schedule: schedule, learningRate: learningRate, batchSize: batchSize, seed: seed,
        recipe: recipe, limit: limit, validation: validation)
    }

    func run() async throws {
      if let finetune { return try await runFinetune(corrections: finetune) }
      let checkpointPath = Self.checkpointPath(for: out)
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
        if let given = dataOptions.dataset, given != checkpoint.dataset {
          differences.append("  --dataset: checkpoint \(checkpoint.dataset.rawValue), command line \(given.rawValue)")
        }
        resumed = checkpoint
      }
      let dataset = dataOptions.dataset ?? resumed?.dataset ?? .mnist
      let folder = try dataOptions.locate(dataset)

      var training = try folder.loadTraining()
      let test = try folder.loadTest()
      if let limit = plan.limit, limit < training.count { training = training.slice(0..<limit) }
      let dataSHA256 = TrainingFacts.dataSHA256(training)
      if let recorded = resumed?.facts?.dataSHA256, recorded != dataSHA256 {
        differences.append(
          "  --data: checkpoint's training data has SHA-256 \(recorded.prefix(16))..., \(folder.path) gives \(dataSHA256.prefix(16))..."
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
      if plan.recipe == .best { train = GeneratedDigits.mixed(into: train, seed: plan.config.seed) }

      let backend = try Profiling.backend(backendOptions, profile: profile)
      let config = plan.config
      let network =
        resumed.map { SeedNetwork(backend: backend, values: $0.parameters, adam: $0.adam) }
        ?? SeedNetwork(backend: backend, seed: config.seed)
      let trainer = Trainer(network: network, config: config, history: resumed?.history ?? [])

      if let resumed {
        Console.note("resuming at epoch \(resumed.history.count + 1) of \(plan.epochs) from \(checkpointPath)")
      }
      Console.note(
        "training on \(train.count) images from \(folder.path), validating on \(validationSet?.count ?? 0) (\(plan.validation.source.label)); backend \(backend.name)"
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
      let progress = TrainingProgress()
      try trainer.run(train: train, validation: validationSet, observer: progress) { history in
        // The model first, then the checkpoint: a kill between the two leaves the checkpoint
        // one epoch behind, and --resume redoes that epoch to the same bits. The other order
        // could leave a finished checkpoint beside a model one epoch old.
        // A device fault gives zeros for weights: checked before anything is written.
        let model = ModelFile(parameters: network.parameterValues(), dataset: dataset, history: history, facts: facts)
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
        Console.note(
          "calibrated on \(validationSet.count) validation images: temperature \(String(format: "%.3f", model.calibration!.temperature)), unsure below \(String(format: "%.3f", model.calibration!.threshold))"
        )
      }
      Console.note("wrote \(out) (checkpoint: \(checkpointPath))")
      if profile { Profiling.print(backend, trainer: trainer) }
      if let report {
        let probabilities = try Evaluator(network: network).probabilities(test)
        try HTMLReport(
          modelPath: out, model: try ModelFile.read(path: out), test: test, probabilities: probabilities,
          evaluationBackend: backend.name, dataPath: folder.path
        ).write(to: report)
        Console.note("wrote \(report)")
      }
    }

    /// model.safetensors -> model.checkpoint.safetensors, next to it.
    static func checkpointPath(for out: String) -> String {
      let url = URL(fileURLWithPath: out)
      let stem =
        url.pathExtension == "safetensors" ? url.deletingPathExtension().lastPathComponent : url.lastPathComponent
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
    if self == .best {
      config.augment = Augmentation.best.batchFunction
      // On a device that augments (OpenCL): the same steps but relayout's stroke adjustment,
      // so the training set stays on the device (Augmentation.bestOnDevice says why).
      config.deviceAugmentation = Augmentation.bestOnDevice.device
    }
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
