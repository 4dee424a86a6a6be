import ArgumentParser
import DigitsCore
import DigitsVision
import Foundation

extension Digits {
  struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train the seed CNN and write the model file.",
      discussion: """
        Trains Conv32-Pool-Conv64-Pool-Dense128-DenseN (N: the data set's
        classes, 10 for MNIST) with Adam, batch 128,
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
          digits train --data my-pictures/       # your own classes: my-pictures/<class>/*.png
          digits train --dataset emnist-letters  # after `digits download --dataset emnist-letters`
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

    @Option(
      help: ArgumentHelp(
        "How pictures of a --data folder become 28x28: mnist (ink found and centred, for handwriting) or resize (the whole picture, for photos of objects).",
        discussion:
          "Default: mnist, or the checkpoint's. The model file records it, and predict lays pictures out the same way."
      ))
    var layout: ModelFile.Layout?

    @Option(help: "Number of epochs (total, counting resumed ones). Default: 10, or 30 with --recipe best.")
    var epochs: Int?

    @Option(
      help:
        "Recipe: seed (plain training, the default) or best (on-the-fly augmentation: rotation, scale, slant, shift, stroke width, blur, noise, MNIST-style relayout; generalises to real pictures; on OpenCL done on the device, whose relayout keeps stroke width). The augmentation applies to every data set; best also mixes generated handwritten digits into the training set, on MNIST's digits only."
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
      let run = TrainingRun(
        request: request, out: out, resume: resume, dataPath: dataOptions.data, dataset: dataOptions.dataset,
        layout: layout)
      let finished = try run.run(
        makeBackend: { try Profiling.backend(backendOptions, profile: profile) }, observer: TrainingProgress(),
        note: Console.note)
      if profile { Profiling.print(finished.backend, trainer: finished.trainer) }
      if let report {
        try finished.writeReport(to: report)
        Console.note("wrote \(report)")
      }
    }
  }
}

extension LearningRateSchedule: ExpressibleByArgument {}

extension TrainingRecipe: ExpressibleByArgument {}

extension ValidationChoice: ExpressibleByArgument {}
