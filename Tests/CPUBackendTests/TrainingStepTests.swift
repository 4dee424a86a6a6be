import CPUBackend
import DigitsCore
import Testing
import _TestSupport

/// Whole training steps of the seed network on every CPU path: against the Float64
/// reference, run twice for bit-identical weights, and against each other.
@Suite struct TrainingStepTests {
  /// The first `count` training digits as (pixels in [0,1], labels).
  static func batch(_ count: Int) -> (pixels: [Float], labels: [Float]) {
    var pixels = [Float](repeating: 0, count: count * MNISTShape.pixels)
    var labels = [Float](repeating: 0, count: count)
    pixels.withUnsafeMutableBufferPointer { p in
      labels.withUnsafeMutableBufferPointer { l in
        TestData.mnistTraining.fill(indices: Array(0..<count)[...], pixels: p, labels: l)
      }
    }
    return (pixels, labels)
  }

  /// `steps` Adam steps of `size` digits each from seed 3: the parameters and (loss sum,
  /// correct count).
  static func train(_ backend: any Backend, steps: Int, size: Int) -> (parameters: [[Float]], stats: [Float]) {
    let (pixels, labels) = batch(steps * size)
    let network = SeedNetwork(backend: backend, seed: 3)
    let s = backend.makeTensor([2])
    for step in 0..<steps {
      let range = (step * size)..<(step * size + size)
      pixels[(range.lowerBound * MNISTShape.pixels)..<(range.upperBound * MNISTShape.pixels)].withUnsafeBufferPointer {
        p in
        labels[range].withUnsafeBufferPointer { l in
          network.trainStep(pixels: p, labels: l, stats: s, learningRate: 1e-3)
        }
      }
    }
    return (network.parameterValues(), backend.download(s))
  }

  /// One forward + backward pass and Adam step on 8 real digits: parameters within 1e-6 of
  /// the Float64 reference (the step moves them by ~1e-3), loss within 1e-5 relative.
  @Test(arguments: CPUPath.supported)
  func oneStepMatchesReference(path: CPUPath) {
    let observed = Self.train(CPUBackend(threads: 2, path: path), steps: 1, size: 8)
    let expected = Self.train(ReferenceBackend(), steps: 1, size: 8)
    for (i, spec) in SeedNetwork.parameterSpecs.enumerated() {
      let report = mismatchReport(
        observed.parameters[i], expected.parameters[i], atol: 1e-6, rtol: 1e-5, label: spec.name)
      #expect(report == nil, "\(report ?? "")")
    }
    #expect(
      abs(observed.stats[0] - expected.stats[0]) <= 1e-5 * expected.stats[0],
      "loss \(observed.stats) vs \(expected.stats)")
    #expect(observed.stats[1] == expected.stats[1])
  }

  /// Same seed, same path, same thread count: bit-identical weights after ten steps.
  @Test(arguments: CPUConfiguration.all(threads: [1, 2]))
  func sameRunSameBits(on cpu: CPUConfiguration) {
    let first = Self.train(cpu.backend(), steps: 10, size: 16)
    let second = Self.train(cpu.backend(), steps: 10, size: 16)
    for (i, spec) in SeedNetwork.parameterSpecs.enumerated() {
      #expect(first.parameters[i].map(\.bitPattern) == second.parameters[i].map(\.bitPattern), "\(spec.name) differs")
    }
    #expect(first.stats.map(\.bitPattern) == second.stats.map(\.bitPattern))
  }

  /// Ten steps on each path end within 1e-5 of the fastest path's weights (they differ in
  /// rounding only: fused or separate multiply-add, other vector widths).
  @Test(arguments: CPUPath.supported.dropFirst())
  func pathsEndClose(path: CPUPath) {
    let observed = Self.train(CPUBackend(threads: 2, path: path), steps: 10, size: 16)
    let expected = Self.train(CPUBackend(threads: 2, path: .fastest), steps: 10, size: 16)
    for (i, spec) in SeedNetwork.parameterSpecs.enumerated() {
      let report = mismatchReport(observed.parameters[i], expected.parameters[i], atol: 1e-5, rtol: 0, label: spec.name)
      #expect(report == nil, "\(report ?? "")")
    }
  }
}
