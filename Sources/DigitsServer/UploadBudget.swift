import Synchronization

/// The bytes of request bodies held while they arrive, across all requests. Bodies are read
/// before a prediction slot is taken (so a client that trickles its body holds no slot), and
/// this, not the slots, bounds the memory they take; beyond it a request is told to come back
/// (503). Each request takes its bytes as they arrive, so a slow client holds only what it
/// has sent.
public final class UploadBudget: Sendable {
  let limit: Int
  private let used = Atomic<Int>(0)

  public init(_ limit: Int) { self.limit = max(1, limit) }

  /// What one request holds of the budget; `release` gives it all back, on every path.
  public final class Share: Sendable {
    let budget: UploadBudget
    private let held = Atomic<Int>(0)

    init(_ budget: UploadBudget) { self.budget = budget }

    /// Takes `bytes` more, or throws 503 when the budget has no room for them.
    func take(_ bytes: Int) throws {
      guard budget.take(bytes) else {
        throw APIError(
          .serviceUnavailable, "the server is receiving too many uploads; try again in a second",
          headers: [.retryAfter: "1"])
      }
      held.wrappingAdd(bytes, ordering: .relaxed)
    }

    public func release() { budget.give(held.exchange(0, ordering: .relaxed)) }
  }

  public func share() -> Share { Share(self) }

  /// Bytes held now.
  public var current: Int { used.load(ordering: .relaxed) }

  private func take(_ bytes: Int) -> Bool {
    if used.wrappingAdd(bytes, ordering: .acquiringAndReleasing).newValue <= limit { return true }
    used.wrappingSubtract(bytes, ordering: .acquiringAndReleasing)
    return false
  }

  private func give(_ bytes: Int) { used.wrappingSubtract(bytes, ordering: .acquiringAndReleasing) }
}
