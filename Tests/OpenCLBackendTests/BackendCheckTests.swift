import CPUBackend
import DigitsCore
import OpenCLBackend
import Testing
import _TestSupport

/// The shared op-by-op checks of _TestSupport: OpenCL against the Float64 reference and
/// against the CPU backend, with the device's own tiles and with the GPU tiles.
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct BackendCheckTests {
  static let shapes: [BackendCheckShape] = [
    BackendCheckShape(batch: 1, channels: 1, filters: 32, height: 28, width: 28, denseOutputs: 10),
    BackendCheckShape(batch: 3, channels: 5, filters: 3, height: 7, width: 7, denseOutputs: 5),
    BackendCheckShape(batch: 127, channels: 1, filters: 3, height: 5, width: 5, denseOutputs: 3),
    BackendCheckShape(batch: 1, channels: 32, filters: 64, height: 13, width: 13, denseOutputs: 128),
    BackendCheckShape(batch: 3, channels: 33, filters: 17, height: 7, width: 6, denseOutputs: 1),
    BackendCheckShape(batch: 2, channels: 3, filters: 33, height: 13, width: 9, denseOutputs: 17),
  ]

  @Test(arguments: shapes, [0, 1])
  func agreesWithReferenceAndCPU(shape: BackendCheckShape, tuning: Int) throws {
    let opencl = try OpenCLTestDevice.backend(tuning: OpenCLTestDevice.tunings[tuning])
    let vsReference = BackendChecks.compareWithReference(opencl, shape: shape)
    #expect(vsReference.isEmpty, "\(vsReference.joined(separator: "\n"))")
    let vsCPU = BackendChecks.compare(opencl, CPUBackend(), shape: shape)
    #expect(vsCPU.isEmpty, "\(vsCPU.joined(separator: "\n"))")
  }
}
