import CPUBackend

/// One way to run the CPU backend: a build of the kernels and a thread count. Tests take
/// every path this CPU can execute (all three on an AVX-512 machine), so each kernel build
/// is checked, not only the one the machine would pick.
struct CPUConfiguration: Sendable, CustomStringConvertible {
  var path: CPUPath
  var threads: Int

  var description: String { "\(path), \(threads) thread\(threads == 1 ? "" : "s")" }

  func backend() -> any CPUKernels { CPUBackend.make(threads: threads, path: path) }

  /// Every supported path with each of `threads`.
  static func all(threads: [Int]) -> [CPUConfiguration] {
    CPUPath.supported.flatMap { path in threads.map { CPUConfiguration(path: path, threads: $0) } }
  }
}
