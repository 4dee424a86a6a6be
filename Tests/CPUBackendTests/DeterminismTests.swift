import CPUBackend
import DigitsCore
import Testing
import _TestSupport

/// Same inputs, path and thread count: bit-identical outputs. Different thread counts or
/// paths: the per-thread partial sums (or fused vs separate multiply-add) change the rounding
/// only, so results agree within tolerance.
@Suite struct DeterminismTests {
  static let shape = BackendCheckShape(batch: 9, channels: 6, filters: 20, height: 12, width: 11, denseOutputs: 19)

  @Test(arguments: CPUConfiguration.all(threads: [1, 2, 3]))
  func repeatedRunsAreBitIdentical(on cpu: CPUConfiguration) {
    let backend = cpu.backend()
    let first = BackendChecks.outputs(of: backend, shape: Self.shape, seed: 11)
    let second = BackendChecks.outputs(of: backend, shape: Self.shape, seed: 11)
    let fresh = BackendChecks.outputs(of: cpu.backend(), shape: Self.shape, seed: 11)
    for (a, (b, c)) in zip(first, zip(second, fresh)) {
      #expect(a.values.map(\.bitPattern) == b.values.map(\.bitPattern), "\(a.name) changed between runs")
      #expect(a.values.map(\.bitPattern) == c.values.map(\.bitPattern), "\(a.name) differs on a new backend")
    }
  }

  @Test(arguments: CPUPath.supported)
  func oneAndTwoThreadsAgree(path: CPUPath) {
    let failures = BackendChecks.compare(
      CPUBackend.make(threads: 1, path: path), CPUBackend.make(threads: 2, path: path), shape: Self.shape, seed: 12)
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }

  /// Every path against the fastest one.
  @Test(arguments: CPUPath.supported.dropFirst())
  func pathsAgree(path: CPUPath) {
    let failures = BackendChecks.compare(
      CPUBackend.make(threads: 2, path: path), CPUBackend.make(threads: 2, path: .fastest), shape: Self.shape, seed: 13)
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }
}
