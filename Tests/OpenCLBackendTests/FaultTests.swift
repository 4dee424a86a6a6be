import CPUBackend
import DigitsCore
import DigitsVision
import OpenCLBackend
import Testing
import _TestSupport

/// An OpenCL call failing inside an op (here: a buffer larger than any device allows, as a
/// device out of memory would fail) is kept as the backend's fault instead of ending the
/// process; the ops do nothing from then on, and every caller that uses results throws it.
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct FaultTests {
  /// 2^40 floats: 4 TiB, beyond CL_DEVICE_MAX_MEM_ALLOC_SIZE on every device.
  static let impossible = [1 << 40]

  @Test(arguments: OpenCLTestDevice.indices)
  func failedCallBecomesTheBackendsFault(device: Int) throws {
    let backend = try OpenCLTestDevice.backend(device)
    let before = backend.makeTensor([3], values: [1, 2, 3])
    #expect(backend.download(before) == [1, 2, 3])
    #expect(backend.fault == nil)
    _ = backend.makeTensor(Self.impossible)
    let fault = try #require(backend.fault)
    #expect(fault.description.contains("clCreateBuffer"), "\(fault)")
    #expect(fault.description.contains(backend.device.name), "\(fault)")
    // Later ops are skipped and nothing traps: the tensor still holds 1, 2, 3 on the
    // device, but a download after the fault reads nothing from it and answers zeros.
    backend.synchronize()
    #expect(backend.download(before) == [0, 0, 0])
    #expect(throws: DigitsError.self) { try backend.throwIfFaulted() }
  }

  @Test(arguments: OpenCLTestDevice.indices)
  func classifierAndEvaluatorThrowTheFault(device: Int) throws {
    let backend = try OpenCLTestDevice.backend(device)
    let model = ModelFile(
      parameters: SeedNetwork(backend: CPUBackend.make(threads: 1), seed: 1).parameterValues(), dataset: .mnist)
    let classifier = DigitClassifier(model: model, backend: backend)
    let input = [Float](repeating: 0, count: 784)
    #expect(try classifier.classify(input).count == 10)
    _ = backend.makeTensor(Self.impossible)
    #expect(throws: DigitsError.self) { try classifier.classify(input) }
    let data = LabeledImages(images: [UInt8](repeating: 0, count: 784), labels: [3], rows: 28, columns: 28)
    #expect(throws: DigitsError.self) { try Evaluator(network: classifier.network).probabilities(data) }
    #expect(throws: DigitsError.self) { try Evaluator(network: classifier.network).lossAndAccuracy(data) }
  }
}
