import CPUBackend
import DigitsCore
import Foundation

/// Turns `--backend/--device/--threads` into a backend, printing one line when `auto`
/// falls back to the CPU so the user knows why.
enum BackendFactory {
  static func make(_ options: BackendOptions) throws -> any Backend {
    switch options.backend {
    case .cpu:
      return try makeCPU(threads: options.threads)
    case .opencl:
      return try makeOpenCL(device: options.device)
    case .auto:
      if options.device != nil { return try makeOpenCL(device: options.device) }
      if let reason = openCLUnavailableReason() {
        Console.note("using the CPU: \(reason)")
      }
      return try makeCPU(threads: options.threads)
    }
  }

  static func makeCPU(threads: Int?) throws -> any Backend {
    guard HostCPU.supportsAVX2FMA else {
      throw DigitsError("this CPU lacks AVX2/FMA, which the CPU backend is built for; use --backend opencl, or build with the portable flags described in README")
    }
    return CPUBackend(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
  }

  static func makeOpenCL(device: Int?) throws -> any Backend {
    throw DigitsError("--backend opencl: the OpenCL backend is not built yet; use --backend cpu")
  }

  /// Why `auto` does not use a GPU, or nil if it would.
  static func openCLUnavailableReason() -> String? {
    "OpenCL support is not built yet"
  }
}
