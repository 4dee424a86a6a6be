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
