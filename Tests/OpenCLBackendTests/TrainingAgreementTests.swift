import DigitsCore
import Foundation
import OpenCLBackend
import Testing
import _TestSupport

/// Whole training steps of the seed network: OpenCL against the Float64 reference.
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct TrainingAgreementTests {
  static let mnist = Result { try DatasetFolder.locate(option: TestData.mnistPath) }

  /// The first `count` training images as (pixels in [0,1], labels).
  static func batch(_ count: Int, from start: Int = 0) throws -> (pixels: [Float], labels: [Float]) {
    let data = try mnist.get().loadTraining()
    var pixels = [Float](repeating: 0, count: count * 784), labels = [Float](repeating: 0, count: count)
    pixels.withUnsafeMutableBufferPointer { p in
      labels.withUnsafeMutableBufferPointer { l in data.fill(indices: Array(start..<(start + count))[...], pixels: p, labels: l) }
    }
    return (pixels, labels)
  }

  /// Compares every parameter-shaped tensor of two networks: |o - e| <= atol * max|e| + rtol * |e|,
  /// with atol relative to the tensor's largest magnitude (gradients of different layers differ
  /// by orders of magnitude).
  static func compare(_ observed: [[Float]], _ expected: [[Float]], atol: Float, rtol: Float, what: String,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(observed.count == expected.count, sourceLocation: sourceLocation)
    for (i, spec) in SeedNetwork.parameterSpecs.enumerated() {
      let scale = expected[i].map(abs).max() ?? 0
      if let report = mismatchReport(observed[i], expected[i], atol: atol * max(scale, 1e-30), rtol: rtol,
                                     label: "\(what) \(spec.name)") {
        Issue.record(Comment(rawValue: report), sourceLocation: sourceLocation)
      }
    }
  }

  /// One forward + backward pass on 8 real digits: gradients and loss agree with Float64.
  /// Then one Adam step: parameters agree to 1e-6 absolute (the step moves them by ~1e-3).
  @Test func oneTrainingStepMatchesReference() throws {
    let (pixels, labels) = try Self.batch(8)
    let opencl = try OpenCLTestDevice.backend()
    let reference = ReferenceBackend()
    var grads: [[[Float]]] = [], stats: [[Float]] = [], after: [[[Float]]] = []
    for backend in [opencl, reference] as [any Backend] {
      let s = backend.makeTensor([2])
      let probe = SeedNetwork(backend: backend, seed: 11)
      grads.append(pixels.withUnsafeBufferPointer { p in labels.withUnsafeBufferPointer { l in probe.gradients(pixels: p, labels: l, stats: s) } })
      stats.append(backend.download(s))
      let network = SeedNetwork(backend: backend, seed: 11)
      pixels.withUnsafeBufferPointer { p in labels.withUnsafeBufferPointer { l in network.trainStep(pixels: p, labels: l, stats: s, learningRate: 1e-3) } }
      after.append(network.parameterValues())
    }
    Self.compare(grads[0], grads[1], atol: 1e-4, rtol: 1e-3, what: "gradient")
    #expect(abs(stats[0][0] - stats[1][0]) <= 1e-4 * stats[1][0], "loss \(stats[0][0]) vs \(stats[1][0])")
    #expect(stats[0][1] == stats[1][1], "correct \(stats[0][1]) vs \(stats[1][1])")
    for (i, spec) in SeedNetwork.parameterSpecs.enumerated() {
      if let report = mismatchReport(after[0][i], after[1][i], atol: 1e-6, rtol: 1e-5, label: "after one step \(spec.name)") {
        Issue.record(Comment(rawValue: report))
      }
    }
  }
}
