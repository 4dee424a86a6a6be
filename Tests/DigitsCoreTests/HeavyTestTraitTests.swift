import Testing
import _TestSupport

/// The `.heavy` trait really takes the suite-wide lock around a test, and only around it.
@Suite struct HeavyTestTraitTests {
  @Test(.heavy) func aHeavyTestRunsHoldingTheLock() async {
    #expect(await HeavyTestLock.shared.held)
  }

  @Test(.heavy, arguments: [1, 2]) func eachCaseOfAHeavyTestHoldsTheLock(_ argument: Int) async {
    #expect(await HeavyTestLock.shared.held, "case \(argument)")
  }
}
