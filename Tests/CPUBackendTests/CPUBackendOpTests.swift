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
    ] + BackendCheckShape.classCounts

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

  /// The fused inference block against the training path's two ops: bit for bit on the direct
  /// path (few input channels: the same arithmetic and winner rule), within twice the dot
  /// product bound on the Winograd path (each within it of the exact value). Both paths, odd
  /// sizes, batch 1, 3 and 5 (Winograd works on 3 images at a time), 1 and 2 threads.
  @Test(arguments: CPUConfiguration.all(threads: [1, 2]))
  func convReLUPoolMatchesThePlainOps(on cpu: CPUConfiguration) {
    let backend = cpu.backend()
    var rng = TestRandom(seed: 11)
    for (n, c, k, h, w) in [
      (1, 1, 32, 28, 28), (3, 32, 64, 13, 13), (3, 5, 3, 7, 8), (1, 2, 7, 28, 19), (5, 33, 17, 9, 6),
      (4, 16, 16, 6, 7),
    ] {
      let x = backend.makeTensor([n, c, h, w], values: rng.array(n * c * h * w))
      let weight = backend.makeTensor([k, c, 3, 3], values: rng.array(k * c * 9))
      let bias = backend.makeTensor([k], values: rng.array(k))
      let conv = backend.makeTensor([n, k, h - 2, w - 2])
      let pooled = [n, k, (h - 2) / 2, (w - 2) / 2]
      let plain = backend.makeTensor(pooled), argmax = backend.makeTensor(pooled)
      backend.conv2dForward(input: x, weight: weight, bias: bias, output: conv, relu: true)
      backend.maxPool2Forward(input: conv, output: plain, argmax: argmax)
      let fused = backend.makeTensor(pooled, values: rng.array(pooled.reduce(1, *)))
      backend.conv2dReLUPoolForward(
        input: x, weight: weight, bias: bias, output: fused, convOutput: backend.makeTensor(conv.shape),
        argmax: backend.makeTensor(pooled))
      let expected = backend.download(plain), got = backend.download(fused)
      let label = "N\(n) C\(c) K\(k) \(h)x\(w)"
      if c <= 4 {
        let differing = zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(got.count == expected.count && differing == 0, "\(label): \(differing) values differ")
      } else {
        let bound = DerivedTolerance.gemm(depth: c * 9 + 1).betweenBackends
        let report = bound.mismatches(got, expected, label: label)
        #expect(report == nil, "\(report ?? "")")
      }
    }
  }

  /// The Winograd path keeps its transformed filters between calls: filters changed in place
  /// (as a training step changes them) must be seen at the next call.
  @Test(arguments: CPUPath.supported)
  func convReLUPoolSeesFiltersChangedInPlace(path: CPUPath) {
    let backend = CPUBackend.make(threads: 1, path: path)
    var rng = TestRandom(seed: 5)
    let (n, c, k, h, w) = (2, 32, 64, 13, 13)
    let x = backend.makeTensor([n, c, h, w], values: rng.array(n * c * h * w))
    let weight = backend.makeTensor([k, c, 3, 3], values: rng.array(k * c * 9))
    let bias = backend.makeTensor([k], values: rng.array(k))
    let pooled = [n, k, 5, 5]
    let conv = backend.makeTensor([n, k, 11, 11]), argmax = backend.makeTensor(pooled)
    let fused = backend.makeTensor(pooled), plain = backend.makeTensor(pooled)
    for round in 0..<2 {
      if round == 1 { rng.array(k * c * 9).withUnsafeBufferPointer { backend.upload($0, to: weight) } }
      backend.conv2dReLUPoolForward(
        input: x, weight: weight, bias: bias, output: fused, convOutput: conv, argmax: argmax)
      backend.conv2dForward(input: x, weight: weight, bias: bias, output: conv, relu: true)
      backend.maxPool2Forward(input: conv, output: plain, argmax: argmax)
      let report = DerivedTolerance.gemm(depth: c * 9 + 1).betweenBackends.mismatches(
        backend.download(fused), backend.download(plain), label: "round \(round)")
      #expect(report == nil, "\(report ?? "")")
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
