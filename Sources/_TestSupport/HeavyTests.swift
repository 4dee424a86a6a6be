import Testing

/// `.heavy`: the test (or every test of the suite) holds the suite-wide heavy-test lock while
/// it runs, so at most one test that starts a server, a browser or a training run works at a
/// time.
///
/// Two of them side by side on a two-core machine each take as long as both in turn, and
/// every light test beside them waits too; one at a time the whole run is no longer and each
/// heavy test has the cores it was written for. Swift Testing's `.serialized` cannot do this:
/// it orders the tests of one suite, and these live in several suites and test targets.
public struct HeavyTestTrait: TestTrait, SuiteTrait, TestScoping {
  public var isRecursive: Bool { true }

  public func provideScope(
    for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
  ) async throws {
    // A suite's own scope (no test case) takes nothing: its tests take the lock one by one.
    guard testCase != nil else { return try await function() }
    await HeavyTestLock.shared.acquire()
    do {
      try await function()
    } catch {
      await HeavyTestLock.shared.release()
      throw error
    }
    await HeavyTestLock.shared.release()
  }
}

extension Trait where Self == HeavyTestTrait {
  /// Runs the test holding the heavy-test lock (see `HeavyTestTrait`).
  public static var heavy: Self { HeavyTestTrait() }
}

/// A lock for async code: waiters queue in order, and no thread is blocked while they wait.
public actor HeavyTestLock {
  public static let shared = HeavyTestLock()
  /// Whether a heavy test holds the lock now.
  public private(set) var held = false
  private var waiting: [CheckedContinuation<Void, Never>] = []

  func acquire() async {
    if !held {
      held = true
      return
    }
    await withCheckedContinuation { waiting.append($0) }
  }

  func release() {
    if waiting.isEmpty { held = false } else { waiting.removeFirst().resume() }
  }
}
