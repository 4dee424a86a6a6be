import ArgumentParser
import DigitsCore
import OpenCLBackend

enum BackendKind: String, ExpressibleByArgument, CaseIterable {
  case auto, cpu, opencl
}

/// `--backend` and `--device`, shared by every command that computes.
struct BackendOptions: ParsableArguments {
  @Option(help: "Where to compute: auto (first GPU, else the CPU), cpu, or opencl.")
  var backend: BackendKind = .auto

  @Option(help: "OpenCL device index from `digits devices` (implies --backend opencl under auto).")
  var device: Int?

  @Option(help: "CPU threads (default: all cores).")
  var threads: Int?

  func validate() throws {
    if let device, device < 0 { throw ValidationError("--device must be 0 or more, got \(device)") }
    if let threads, threads < 1 { throw ValidationError("--threads must be 1 or more, got \(threads)") }
  }
}

/// `--data` and `--dataset`.
struct DataOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Folder with the data set's IDX files (raw or .gz), or a folder of pictures (train: DIR/<class>/*.png).",
      discussion:
        "Default: $DIGITS_DATA, then ~/.cache/digits/<data set> (Fashion-MNIST also /usr/share/datasets/fashion-mnist)."
    ))
  var data: String?

  /// Optional so a command can tell "not given" from "mnist": `evaluate` then takes the
  /// model's data set, `train --resume` the checkpoint's.
  @Option(
    help:
      "Data set: mnist, fashion or emnist-{digits,letters,balanced,bymerge,byclass,mnist} (default: mnist, or the model's / checkpoint's)."
  )
  var dataset: NamedDataset?

  /// The MNIST-format folder of `--dataset`, else of `fallback`; with `testOnly`, one holding
  /// only the two test files will do. An EMNIST `--dataset` is refused: the caller takes MNIST's layout.
  func locate(_ fallback: DatasetKind, testOnly: Bool = false) throws -> DatasetFolder {
    var kind = fallback
    switch dataset {
    case .idx(let given): kind = given
    case .emnist(let split): throw ValidationError("--dataset \(split.datasetName) is not an MNIST-format set here")
    case nil: break
    }
    return try DatasetFolder.locate(option: data, kind: kind, testOnly: testOnly)
  }
}

extension NamedDataset: ExpressibleByArgument {
  public init?(argument: String) { self.init(name: argument) }
  public static var allValueStrings: [String] { allNames }
  public var defaultValueDescription: String { name }
}

extension ModelFile.Layout: ExpressibleByArgument {}

/// `--profile` of train and evaluate: a backend that times its ops (OpenCL from profiling
/// events, the CPU through `TimedBackend`'s timers) and the table printed at the end.
enum Profiling {
  static func backend(_ options: BackendOptions, profile: Bool) throws -> any Backend {
    OpenCLBackend.profileByDefault = profile
    let backend = try BackendFactory.make(options)
    return profile && !(backend is OpenCLBackend) ? TimedBackend(backend) : backend
  }

  static func print(_ backend: any Backend, trainer: Trainer? = nil) {
    let table = ProfileTable(
      ops: backend.opTimes(), stepCounters: trainer?.stepCounters, steps: trainer?.stepsRun ?? 0,
      total: backend.counters)
    Console.line("profile (\(backend.name)):\n" + table.text)
  }
}
