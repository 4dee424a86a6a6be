import CPUBackend
import DigitsCore
import Testing
import _TestSupport

/// Same inputs and thread count: bit-identical outputs. Different thread counts: the
/// per-thread partial sums change the rounding only, so results agree within tolerance.
@Suite struct DeterminismTests {
  static let shape = BackendCheckShape(batch: 9, channels: 6, filters: 20, height: 12, width: 11, denseOutputs: 19)

  @Test(arguments: [1, 2, 3])
  func repeatedRunsAreBitIdentical(threads: Int) {
    let backend = CPUBackend(threads: threads)
    let first = BackendChecks.outputs(of: backend, shape: Self.shape, seed: 11)
    let second = BackendChecks.outputs(of: backend, shape: Self.shape, seed: 11)
    let fresh = BackendChecks.outputs(of: CPUBackend(threads: threads), shape: Self.shape, seed: 11)
    for (a, (b, c)) in zip(first, zip(second, fresh)) {
      #expect(a.values.map(\.bitPattern) == b.values.map(\.bitPattern), "\(a.name) changed between runs")
      #expect(a.values.map(\.bitPattern) == c.values.map(\.bitPattern), "\(a.name) differs on a new backend")
    }
  }

  @Test func oneAndTwoThreadsAgree() {
    let failures = BackendChecks.compare(CPUBackend(threads: 1), CPUBackend(threads: 2), shape: Self.shape, seed: 12)
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }
}
