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
      guard mayHaveGPU() else {
        Console.note("using the CPU: \(noGPUDevice); `digits devices` lists OpenCL devices for --device N")
        return try makeCPU(threads: options.threads)
      }
      do {
        return try OpenCLBackend(deviceIndex: nil)
      } catch {
        Console.note("using the CPU: \(error.description)")
        return try makeCPU(threads: options.threads)
      }
    }
  }

  /// Whether the machine shows a GPU to programs at all: one of the device files through which
  /// Linux GPU drivers are reached exists (`gpuDeviceFiles`). Without one no OpenCL GPU can be
  /// found, so `auto` does not load OpenCL's drivers just to hear that: PoCL and rusticl take
  /// about 35 ms to load, to list CPU devices `auto` never picks. Other systems: assumed yes.
  static func mayHaveGPU() -> Bool {
    #if os(Linux)
      return gpuDeviceFiles.contains { FileManager.default.fileExists(atPath: $0) }
    #else
      return true
    #endif
  }

  /// DRM (Mesa, Intel, AMD), NVIDIA, AMD's compute node, Arm Mali, Qualcomm Adreno, Vivante
  /// and WSL2's GPU; `DIGITS_GPU_DEVICE_FILES` (paths apart by `:`) replaces the list, for tests.
  static var gpuDeviceFiles: [String] {
    if let list = ProcessInfo.processInfo.environment["DIGITS_GPU_DEVICE_FILES"] {
      return list.split(separator: ":").map(String.init)
    }
    return [
      "/dev/dri", "/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd", "/dev/mali0", "/dev/kgsl-3d0", "/dev/galcore",
      "/dev/dxg",
    ]
  }

  static let noGPUDevice = "no GPU device on this machine: no /dev/dri, /dev/nvidia*, /dev/kfd, ..."

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
