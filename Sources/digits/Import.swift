import ArgumentParser
import DigitsCore
import DigitsInterop
import Foundation

extension Digits {
  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Turn a Keras model of the seed CNN into a digits model file.",
      discussion: """
        Reads Keras 2 .h5 (model.save), Keras 3 .keras and weights-only .weights.h5 files of
        the seed architecture: Conv2D 32 3x3 relu, MaxPooling2D 2, Conv2D 64 3x3 relu,
        MaxPooling2D 2, Flatten, Dense 128 relu, Dense N softmax (N = 10 for digits, 2 to
        1000 for other classes; name them with --class-names), trained on pixel/255.
        The file is read in a child process: the HDF5 library is not hardened against
        damaged files, and a crash or hang there becomes one error line.

        Examples:
          digits import model.keras --out model.safetensors
          digits evaluate --model model.safetensors
        """)

    @Argument(help: ArgumentHelp("Keras model file (.h5, .keras or .weights.h5).", valueName: "keras-file"))
    var input: String

    @Option(help: ArgumentHelp("Where to write the digits model.", valueName: "file"))
    var out = "model.safetensors"

    @Option(
      name: .customLong("class-names"),
      help: ArgumentHelp(
        "The model's classes in output order, comma-separated (default: the digits for 10 outputs, else 0, 1, ...).",
        valueName: "a,b,..."))
    var classNames: String?

    /// Set on the child process, which does the reading.
    @Flag(help: .hidden)
    var inProcess = false

    func run() throws {
      if inProcess {
        try IsolatedImport.limitThisProcess()
        let names = classNames.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        try KerasImport.read(path: input, classNames: names).write(to: out)
      } else {
        try IsolatedImport.run(input: input, out: out, classNames: classNames)
      }
    }
  }
}

/// Runs `digits import --in-process` as a child with a time limit. The child writes the
/// model beside the output under a staging name and prints its own error line (inherited
/// stderr); only a child that exits 0 has its model moved into place, so one that crashes
/// after writing (out of memory on its way out, say) leaves nothing behind. A child
/// killed by a signal (libhdf5 crashed) or one over the limit (libhdf5 hung, seen in
/// fuzzing: docs/RELIABILITY.md) becomes one error line here, and nothing is written.
/// The child limits its own address space and CPU time before it opens the file, so a
/// chunk that inflates to gigabytes or a decoder that spins ends it, not the machine.
enum IsolatedImport {
  /// Seconds a child may take; the fixtures take a fraction of one. `DIGITS_IMPORT_TIMEOUT`
  /// changes it (tests).
  static var timeLimit: Double {
    ProcessInfo.processInfo.environment["DIGITS_IMPORT_TIMEOUT"].flatMap(Double.init).map { max(0.1, $0) } ?? 30
  }

  /// Address space the child may map, in bytes: the runtime and libhdf5 take about 0.3 GB, a
  /// model 1 MB. `DIGITS_IMPORT_MEMORY_MB` changes it (tests).
  static var memoryLimit: Int {
    (ProcessInfo.processInfo.environment["DIGITS_IMPORT_MEMORY_MB"].flatMap(Int.init).map { max(1, $0) } ?? 2048)
      << 20
  }

  /// RLIMIT_AS and RLIMIT_CPU on this process (the child), before the file is opened. The
  /// CPU limit lies past the parent's wall-clock one, which a one-thread child reaches first:
  /// it ends a child whose parent is gone.
  static func limitThisProcess() throws {
    let seconds = rlim_t(timeLimit.rounded(.up)) + 5
    var memory = rlimit(rlim_cur: rlim_t(memoryLimit), rlim_max: rlim_t(memoryLimit))
    var cpu = rlimit(rlim_cur: seconds, rlim_max: seconds + 1)
    guard setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &memory) == 0,
      setrlimit(__rlimit_resource_t(RLIMIT_CPU.rawValue), &cpu) == 0
    else { throw DigitsError("cannot limit the import's memory and CPU time (\(String(cString: strerror(errno))))") }
  }

  static func run(input: String, out: String, classNames: String? = nil) throws {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: selfExecutable())
    // `--` first: a file named like an option is still the file.
    let url = URL(fileURLWithPath: out)
    let staged = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).import")
      .path
    defer { unlink(staged) }
    child.arguments =
      ["import", "--out", staged, "--in-process"] + (classNames.map { ["--class-names", $0] } ?? []) + ["--", input]
    child.standardInput = FileHandle.nullDevice
    // A crash is reported here in one line; the runtime's backtrace would only add lines.
    var environment = ProcessInfo.processInfo.environment
    environment["SWIFT_BACKTRACE"] = "enable=no"
    child.environment = environment
    let ended = DispatchSemaphore(value: 0)
    child.terminationHandler = { _ in ended.signal() }
    try child.run()
    if ended.wait(timeout: .now() + timeLimit) == .timedOut {
      kill(child.processIdentifier, SIGKILL)
      ended.wait()
      throw DigitsError.file(
        input, "no answer from the HDF5 library within \(Int(timeLimit)) s; the file is damaged or not a Keras model")
    }
    if child.terminationReason == .uncaughtSignal {
      if child.terminationStatus == SIGXCPU {
        throw DigitsError.file(
          input, "the HDF5 library used all its CPU time on it; the file is damaged or not a Keras model")
      }
      throw DigitsError.file(
        input,
        "the HDF5 library crashed on it (signal \(child.terminationStatus)) or needed more than "
          + "\(memoryLimit >> 20) MB; the file is damaged or not a Keras model")
    }
    // The child printed its error line already.
    if child.terminationStatus != 0 { throw ExitCode(child.terminationStatus) }
    try AtomicFile.write(InputFile(path: staged).readAll(limit: 16 << 20), to: out)
    Console.note("wrote \(out) from \(input)")
  }

  /// This program's own file, for the child.
  static func selfExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    return n > 0
      ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
  }
}
