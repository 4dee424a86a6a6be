import CPUBackend
import DigitsCore
import Testing
import _TestSupport

/// Whole training steps of the seed network on every CPU path: against the Float64
/// reference, run twice for bit-identical weights, and against each other.
@Suite struct TrainingStepTests {
  /// `steps` Adam steps of `size` digits each (the first training digits, shuffled) from
  /// seed 3, as the trainer takes them.
  static func train(_ backend: any Backend, steps: Int, size: Int) throws -> TrainingAgreement.Result {
    try TrainingAgreement.run(
      on: [backend], data: TestData.mnistTraining.slice(0..<(steps * size)),
      config: TrainingAgreement.config(batch: size, seed: 3))[0]
  }

  /// One forward + backward pass and Adam step on 8 real digits: parameters within 1e-6 of
  /// the Float64 reference (the step moves them by ~1e-3), loss within 1e-5 relative.
  @Test(arguments: CPUPath.supported)
  func oneStepMatchesReference(path: CPUPath) throws {
    let observed = try Self.train(CPUBackend.make(threads: 2, path: path), steps: 1, size: 8)
    let expected = try Self.train(ReferenceBackend(), steps: 1, size: 8)
    for (i, spec) in SeedNetwork.parameterSpecs.enumerated() {
      let report = mismatchReport(observed.weights[i], expected.weights[i], atol: 1e-6, rtol: 1e-5, label: spec.name)
      #expect(report == nil, "\(report ?? "")")
    }
    let (a, b) = (observed.record, expected.record)
    #expect(abs(a.loss - b.loss) <= 1e-5 * b.loss, "loss \(a.loss) vs \(b.loss)")
    #expect(a.accuracy == b.accuracy)
  }

  /// Networks of other class counts: three Adam steps of 8 digits (labels folded into the
  /// classes) within 1e-6 of the Float64 reference on every path, the last layer N x 128.
  @Test(arguments: [2, 26, 47, 62], CPUPath.supported)
  func otherClassCountsMatchReference(classes: Int, path: CPUPath) throws {
    let digits = TestData.mnistTraining.slice(0..<24)
    let data = LabeledImages(
      images: digits.images, labels: digits.labels.map { $0 % LabeledImages.Label(classes) }, rows: 28, columns: 28)
    let config = TrainingAgreement.config(batch: 8, seed: 3)
    let observed = try TrainingAgreement.run(
      on: [CPUBackend.make(threads: 2, path: path)], data: data, config: config, classes: classes)[0]
    let expected = try TrainingAgreement.run(on: [ReferenceBackend()], data: data, config: config, classes: classes)[0]
    #expect(observed.weights[6].count == classes * 128 && observed.weights[7].count == classes)
    for (i, spec) in SeedNetwork.parameterSpecs(classes: classes).enumerated() {
      let report = mismatchReport(observed.weights[i], expected.weights[i], atol: 1e-6, rtol: 1e-5, label: spec.name)
      #expect(report == nil, "\(report ?? "")")
    }
    #expect(abs(observed.record.loss - expected.record.loss) <= 1e-5 * expected.record.loss)
    #expect(observed.record.accuracy == expected.record.accuracy)
  }

  /// Same seed, same path, same thread count: bit-identical weights after ten steps.
  @Test(arguments: CPUConfiguration.all(threads: [1, 2]))
  func sameRunSameBits(on cpu: CPUConfiguration) throws {
    let first = try Self.train(cpu.backend(), steps: 10, size: 16)
    let second = try Self.train(cpu.backend(), steps: 10, size: 16)
    for (i, spec) in SeedNetwork.parameterSpecs.enumerated() {
      #expect(first.weights[i].map(\.bitPattern) == second.weights[i].map(\.bitPattern), "\(spec.name) differs")
    }
    #expect(first.record.loss.bitPattern == second.record.loss.bitPattern)
  }

  /// Ten steps on each path end within 1e-5 of the fastest path's weights (they differ in
  /// rounding only: fused or separate multiply-add, other vector widths).
  @Test(arguments: CPUPath.supported.dropFirst())
  func pathsEndClose(path: CPUPath) throws {
    let observed = try Self.train(CPUBackend.make(threads: 2, path: path), steps: 10, size: 16)
    let expected = try Self.train(CPUBackend.make(threads: 2, path: .fastest), steps: 10, size: 16)
    for (i, spec) in SeedNetwork.parameterSpecs.enumerated() {
      let report = mismatchReport(
        observed.weights[i], expected.weights[i], atol: DerivedTolerance.trainingSteps, rtol: 0, label: spec.name)
      #expect(report == nil, "\(report ?? "")")
    }
  }
}
