import DigitsCore
import Testing
import _TestSupport

/// Whole-network finite-difference check on the Float64 reference backend: the analytic
/// gradients of SeedNetwork.backward must match central differences of the loss, for the
/// digits' ten classes and for other class counts of the last layer.
@Suite struct NetworkGradientTests {
  @Test(arguments: [10, 2, 26, 47, 62])
  func backwardMatchesFiniteDifferences(classes: Int) throws {
    let backend = ReferenceBackend()
    let network = SeedNetwork(backend: backend, seed: 3, classes: classes)
    var rng = TestRandom(seed: 11)
    let n = 2
    let pixels = rng.array(n * 784, 0, 1)
    let labels: [Float] = [3, 7].map { Float($0 % classes) }
    let stats = backend.makeTensor([2])
    let grads = pixels.withUnsafeBufferPointer { p in
      labels.withUnsafeBufferPointer { l in network.gradients(pixels: p, labels: l, stats: stats) }
    }
    var values = network.parameterValues()

    func loss(_ vals: [[Float]]) -> Double {
      let probe = SeedNetwork(backend: backend, values: vals)
      let s = backend.makeTensor([2])
      pixels.withUnsafeBufferPointer { p in
        labels.withUnsafeBufferPointer { l in probe.evaluate(pixels: p, labels: l, stats: s) }
      }
      return Double(backend.download(s)[0]) / Double(n)
    }

    var failures: [String] = []
    #expect(
      network.parameterValues().map(\.count)
        == SeedNetwork.parameterSpecs(classes: classes).map { $0.shape.reduce(1, *) })
    for (t, spec) in network.specs.enumerated() {
      // The three entries with the largest gradients: well above Float32 noise.
      let top = grads[t].indices.sorted { abs(grads[t][$0]) > abs(grads[t][$1]) }.prefix(3)
      for i in top {
        let eps: Float = 1e-3
        let original = values[t][i]
        values[t][i] = original + eps
        let up = loss(values)
        values[t][i] = original - eps
        let down = loss(values)
        values[t][i] = original
        let numeric = (up - down) / Double(2 * eps)
        let analytic = Double(grads[t][i])
        if abs(numeric - analytic) > 2e-3 + 0.05 * abs(analytic) {
          failures.append("\(spec.name)[\(i)]: analytic \(analytic) numeric \(numeric)")
        }
      }
    }
    #expect(failures.isEmpty, "\(failures)")
  }
}
