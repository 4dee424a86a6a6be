import Dispatch
import Synchronization

/// Runs the CPU-heavy part of requests (decoding and preparing pictures) on threads of its
/// own, at most `width` at once. Without it, that work ran on Swift concurrency's pool,
/// one thread per core (two here), and a burst of big pictures left no thread to answer
/// `/api/health` or the page. Callers beyond `width` wait without holding a thread, and
/// only `width` pictures are decoded at once, which bounds the memory they take.
final class WorkPool: Sendable {
  let width: Int
  private let queue = DispatchQueue(label: "digits.work", qos: .userInitiated, attributes: .concurrent)
  private let slots: Mutex<Slots>

  private struct Slots: ~Copyable {
    var free: Int
    var waiting: [CheckedContinuation<Void, Never>] = []
  }

  init(width: Int) {
    self.width = max(1, width)
    slots = Mutex(Slots(free: max(1, width)))
  }

  /// `work`'s result, computed on the pool's threads.
  func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    await acquire()
    defer { release() }
    return try await withCheckedThrowingContinuation { continuation in
      queue.async { continuation.resume(with: Result { try work() }) }
    }
  }

  private func acquire() async {
    let ready = slots.withLock { s -> Bool in
      guard s.free > 0 else { return false }
      s.free -= 1
      return true
    }
    if ready { return }
    await withCheckedContinuation { continuation in
      let now = slots.withLock { s -> Bool in
        if s.free > 0 {
          s.free -= 1
          return true
        }
        s.waiting.append(continuation)
        return false
      }
      if now { continuation.resume() }
    }
  }

  /// Hands the slot to the longest waiter, or frees it.
  private func release() {
    let next = slots.withLock { s -> CheckedContinuation<Void, Never>? in
      if s.waiting.isEmpty {
        s.free += 1
        return nil
      }
      return s.waiting.removeFirst()
    }
    next?.resume()
  }
}
