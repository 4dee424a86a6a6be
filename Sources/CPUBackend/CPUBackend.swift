@_exported import CPUKernelInterface
import CPUKernelsPortable
import DigitsCore
import Foundation

#if arch(x86_64)
  import CPUKernelsAVX2
  import CPUKernelsAVX512
#endif

/// The CPU implementation of `Backend`: the `SIMDBackend` of one build of the kernels
/// (`CPUPath`), chosen when the backend is made and then called directly, with no wrapper in
/// between.
///
/// Every op is synchronous. Results depend only on the inputs, the path and the thread count.
/// The backend is not thread-safe: call it from one thread at a time.
public enum CPUBackend {
  /// A backend on `path` (default: the fastest this CPU runs), with `threads` threads per op
  /// (1 to 64); its `name` reads "cpu (avx512, 2 threads)".
  /// - Precondition: `path` is in `CPUPath.supported` (`CPUPath.fromEnvironment` checks a
  ///   user's choice with a proper error).
  public static func make(threads: Int = ProcessInfo.processInfo.activeProcessorCount, path: CPUPath = .fastest)
    -> any CPUKernels
  {
    precondition(CPUPath.supported.contains(path), "CPU path \(path) cannot run on this CPU")
    switch path {
    #if arch(x86_64)
      case .avx512: return CPUKernelsAVX512.SIMDBackend(threads: threads)
      case .avx2: return CPUKernelsAVX2.SIMDBackend(threads: threads)
    #else
      case .avx512, .avx2: fatalError("unreachable: not in CPUPath.supported")
    #endif
    case .portable: return CPUKernelsPortable.SIMDBackend(threads: threads)
    }
  }
}
