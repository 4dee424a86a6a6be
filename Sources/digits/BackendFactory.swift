import CPUBackend
import DigitsCore
import Foundation
import OpenCLBackend

/// Turns `--backend/--device/--threads` into a backend, printing one line when `auto`
/// falls back to the CPU so the user knows why.
enum BackendFactory {
  /// `smallJob`: under `auto`, the CPU without asking OpenCL's drivers (work too small to
  /// pay for a GPU's start; the command says when).
  static func make(_ options: BackendOptions, smallJob: Bool = false) throws -> any Backend {
    switch options.backend {
    case .cpu:
      return try makeCPU(threads: options.threads)
    case .opencl:
      return try makeOpenCL(device: options.device)
    case .auto:
      if options.device != nil { return try makeOpenCL(device: options.device) }
      if smallJob { return try makeCPU(threads: options.threads) }
      do {
        return try OpenCLBackend(deviceIndex: nil)
      } catch {
        Console.note("using the CPU: \(error.description)")
        return try makeCPU(threads: options.threads)
      }
    }
  }

  /// The CPU backend on `DIGITS_CPU`'s path, else the fastest this CPU runs.
  static func makeCPU(threads: Int?) throws -> any Backend {
    CPUBackend.make(
      threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, path: try CPUPath.fromEnvironment())
  }

  /// `--backend opencl`: the given device, else the first GPU, else (OpenCL was asked for by
  /// name) the first device of any kind, such as PoCL on the CPU.
  static func makeOpenCL(device: Int?) throws -> any Backend {
    do {
      do {
        return try OpenCLBackend(deviceIndex: device)
      } catch .noGPU(let devices) where device == nil && !devices.isEmpty {
        Console.note("no OpenCL GPU; using OpenCL device 0: \(devices[0].name)")
        return try OpenCLBackend(deviceIndex: 0)
      }
    } catch {
      throw DigitsError("--backend opencl: \(error.description)")
    }
  }
}
