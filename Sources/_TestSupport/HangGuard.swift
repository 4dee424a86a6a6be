import Foundation

/// The one bound a test may put on waiting: 20 minutes, far above what any machine needs for
/// anything a test waits for (a server's first line, a browser script, a fine-tune).
///
/// It only turns a hang into a failure instead of a CI run that never ends; it never decides
/// whether the code is fast enough. A test proves a state or a value, and timings belong in
/// `Benchmarks/`. A slow or starved machine (one core, the rest of the suite running beside)
/// must pass every test, just later.
public enum HangGuard {
  public static let seconds: Double = 20 * 60
  public static let duration: Duration = .seconds(20 * 60)

  /// Polls `condition` every 50 ms until it holds; false only when the hang guard runs out.
  public static func waitUntil(_ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + duration
    while !condition() {
      if ContinuousClock.now > deadline { return false }
      try? await Task.sleep(for: .milliseconds(50))
    }
    return true
  }
}
