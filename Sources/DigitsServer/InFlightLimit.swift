import Synchronization

/// At most `limit` predictions in flight; the rest are told at once to come back (503 with
/// Retry-After) before their body is read, so a burst cannot queue unbounded work or memory.
final class InFlightLimit: Sendable {
  let limit: Int
  private let count = Atomic<Int>(0)

  init(_ limit: Int) { self.limit = max(1, limit) }

  /// Takes a place, or returns false when all are taken.
  func enter() -> Bool {
    if count.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue <= limit { return true }
    count.wrappingSubtract(1, ordering: .acquiringAndReleasing)
    return false
  }

  func leave() { count.wrappingSubtract(1, ordering: .acquiringAndReleasing) }

  var current: Int { count.load(ordering: .relaxed) }

  static func busy() -> APIError {
    APIError(.serviceUnavailable, "the server is busy; try again in a second", headers: [.retryAfter: "1"])
  }
}
