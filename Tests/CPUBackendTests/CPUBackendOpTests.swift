import CPUBackend
import DigitsCore
import Testing
import _TestSupport

/// Every op against the Float64 reference on odd shapes: batch 1 and 127, channel counts
/// around the 16-wide panels and 6-row tiles, odd spatial sizes (pooling drops a row/column),
/// and both convolution paths (GEMM for many input channels or narrow rows, direct for C <= 4
/// with rows of at least 8 outputs).
/// Sizes stay small enough for debug builds, where the reference is slow.
@Suite struct CPUBackendOpTests {
  static let shapes: [BackendCheckShape] =
    BackendCheckShape.odd + [
      BackendCheckShape(batch: 5, channels: 32, filters: 5, height: 5, width: 8, denseOutputs: 33),
      BackendCheckShape(batch: 3, channels: 1, filters: 1, height: 3, width: 3, denseOutputs: 1),
      BackendCheckShape(batch: 2, channels: 2, filters: 7, height: 28, width: 19, denseOutputs: 10),
      BackendCheckShape(batch: 3, channels: 4, filters: 10, height: 9, width: 11, denseOutputs: 2),
    ]

  @Test(arguments: shapes, CPUConfiguration.all(threads: [1, 2]))
  func agreesWithReference(shape: BackendCheckShape, on cpu: CPUConfiguration) {
    let failures = BackendChecks.compareWithReference(cpu.backend(), shape: shape)
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }

  /// The network's real layer sizes, at a small batch (smaller still in debug builds, where
  /// the reference is slow).
  @Test(arguments: CPUPath.supported)
  func agreesAtNetworkShapes(path: CPUPath) {
    #if DEBUG
      let batch = 2
    #else
      let batch = 8
    #endif
    let backend = CPUBackend.make(threads: 2, path: path)
    for shape in [
      BackendCheckShape(batch: batch, channels: 1, filters: 32, height: 28, width: 28, denseOutputs: 128),
      BackendCheckShape(batch: batch, channels: 32, filters: 64, height: 13, width: 13, denseOutputs: 10),
    ] {
      let failures = BackendChecks.compareWithReference(backend, shape: shape, seed: 7)
      #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
  }

  @Test(arguments: CPUPath.supported)
  func uploadDownloadZero(path: CPUPath) {
    let backend = CPUBackend.make(threads: 2, path: path)
    let values: [Float] = (0..<37).map { Float($0) - 3.5 }
    let t = backend.makeTensor([37], values: values)
    #expect(backend.download(t) == values)
    backend.zero(t)
    #expect(backend.download(t) == [Float](repeating: 0, count: 37))
    #expect(backend.download(backend.makeTensor([2, 3])) == [Float](repeating: 0, count: 6))
  }
}
