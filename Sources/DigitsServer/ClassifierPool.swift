import DigitsCore
import Synchronization

/// Classifiers shared by concurrent requests: each `DigitClassifier` owns device buffers and
/// serves one caller at a time, so a request borrows one, and waits (suspended, holding no
/// thread) when all are busy. On the CPU there is one per core, each single-threaded: a
/// batch-1 forward pass is too small to split across cores, and whole requests are not.
public final class ClassifierPool: Sendable {
  /// A classifier handed between tasks; only the borrower touches it.
  public struct Lease: @unchecked Sendable { let classifier: DigitClassifier }

  private struct State {
    var free: [Lease]
    var waiters: [(id: UInt64, continuation: CheckedContinuation<Lease, any Error>)] = []
    var nextID: UInt64 = 0
  }

  private let state: Mutex<State>
  public let size: Int

  /// Requests waiting for a classifier now.
  public var waiting: Int { state.withLock { $0.waiters.count } }

  public init(_ classifiers: [DigitClassifier]) {
    precondition(!classifiers.isEmpty)
    size = classifiers.count
    state = Mutex(State(free: classifiers.map(Lease.init)))
  }

  /// Runs `body` with a classifier of its own. Throws `CancellationError` when the task is
  /// cancelled while waiting (the request timed out or the client went away).
  public func withClassifier<T>(_ body: (DigitClassifier) throws -> T) async throws -> T {
    let lease = try await acquire()
    defer { release(lease) }
    return try body(lease.classifier)
  }

  public func acquire() async throws -> Lease {
    if let lease = state.withLock({ $0.free.popLast() }) { return lease }
    let id = state.withLock { s -> UInt64 in
      s.nextID += 1
      return s.nextID
    }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        let immediate: Result<Lease, any Error>? = state.withLock { s in
          if Task.isCancelled { return .failure(CancellationError()) }
          if let lease = s.free.popLast() { return .success(lease) }
          s.waiters.append((id, continuation))
          return nil
        }
        if let immediate { continuation.resume(with: immediate) }
      }
    } onCancel: {
      let waiter = state.withLock { s -> CheckedContinuation<Lease, any Error>? in
        guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return s.waiters.remove(at: i).continuation
      }
      waiter?.resume(throwing: CancellationError())
    }
  }

  public func release(_ lease: Lease) {
    let waiter = state.withLock { s -> CheckedContinuation<Lease, any Error>? in
      if s.waiters.isEmpty {
        s.free.append(lease)
        return nil
      }
      return s.waiters.removeFirst().continuation
    }
    waiter?.resume(returning: lease)
  }
}
