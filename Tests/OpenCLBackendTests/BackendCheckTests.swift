import CPUBackend
import DigitsCore
import OpenCLBackend
import Testing
import _TestSupport

/// The shared op-by-op checks of _TestSupport: OpenCL against the Float64 reference and
/// against the CPU backend, on every device, with the device's own tiles and with the GPU tiles
/// (as such, and planned as on an H200) where the device takes them.
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct BackendCheckTests {
  static let shapes = BackendCheckShape.odd + BackendCheckShape.classCounts

  @Test(arguments: OpenCLTestDevice.targets(tunings: [0, 1, 3]), shapes)
  func agreesWithReferenceAndCPU(target: OpenCLTestDevice.Target, shape: BackendCheckShape) throws {
    let opencl = try target.backend()
    let vsReference = BackendChecks.compareWithReference(opencl, shape: shape)
    #expect(vsReference.isEmpty, "\(vsReference.joined(separator: "\n"))")
    let vsCPU = BackendChecks.compare(opencl, CPUBackend.make(), shape: shape)
    #expect(vsCPU.isEmpty, "\(vsCPU.joined(separator: "\n"))")
  }
}

/// The kernels as a small GPU would run them: tiles chosen within 16 KiB of local memory and
/// 256 work-items a group (`OpenCLLimits.smallestGPU`), on every device that allows at least
/// that much, agree with the reference and the CPU op by op, and on one whole training step.
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct SmallGPULimitTests {
  static let devices = OpenCLTestDevice.indices.filter { index in
    guard index >= 0, let device = try? OpenCLTestDevice.info(index) else { return true }
    return (device.limits.maxWorkGroupSize ?? 0) >= 256
  }

  @Test(arguments: devices)
  func tilesFitAndAgree(device: Int) throws {
    let backend = try OpenCLTestDevice.backend(device, limits: .smallestGPU)
    #expect(backend.tuning.gemmWorkGroupSize <= 256, "\(backend.tuning)")
    #expect(backend.tuning.gemmLocalMemoryBytes <= 16 * 1024, "\(backend.tuning)")
    #expect(backend.limits.usableLocalMemoryBytes <= 16 * 1024)
    for shape in [BackendCheckTests.shapes[0], BackendCheckTests.shapes[3], BackendCheckTests.shapes[4]] {
      let vsReference = BackendChecks.compareWithReference(backend, shape: shape)
      #expect(vsReference.isEmpty, "\(vsReference.joined(separator: "\n"))")
    }
  }

  /// A tuning larger than the limits is refused with the reason, not run.
  @Test(arguments: devices)
  func explicitTuningBeyondTheLimitsIsRefused(device: Int) throws {
    let wide = OpenCLTuning(tileM: 64, tileN: 128, tileK: 16, workPerItemM: 2, workPerItemN: 2)
    #expect(throws: CLError.self) { _ = try OpenCLTestDevice.backend(device, tuning: wide, limits: .smallestGPU) }
  }
}
