import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Runs the CPU-heavy part of requests (decoding and preparing pictures) on `width` threads
/// of its own, at a lower priority. Without it, that work ran on Swift concurrency's pool,
/// one thread per core (two here), and a burst of big pictures left no thread to answer
/// `/api/health` or the page; on the pool's own threads, decoding still took the cores from
/// them. Jobs beyond `width` wait in line without holding a thread, and only `width`
/// pictures are decoded at once, which bounds the memory they take.
final class WorkPool: Sendable {
  let width: Int
  private let shared: Shared

  /// What the threads share with the pool (the threads must not keep the pool alive).
  private final class Shared: Sendable {
    let jobs = Mutex<(queue: [@Sendable () -> Void], stopped: Bool)>(([], false))
    let ready = DispatchSemaphore(value: 0)
  }

  /// Nice value of the pool's threads: the event loops and the concurrency pool, which
  /// answer health checks and carry bodies, get the CPU first.
  static let niceness: Int32 = 3

  init(width: Int) {
    self.width = max(1, width)
    shared = Shared()
    for index in 0..<self.width {
      let shared = self.shared
      let thread = Thread {
        #if os(Linux)
          // NOTE: on Linux the nice value is per thread, and 0 names the calling thread.
          setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceness)
        #endif
        while true {
          shared.ready.wait()
          guard let job = shared.jobs.withLock({ $0.stopped ? nil : $0.queue.removeFirst() }) else { return }
          job()
        }
      }
      thread.name = "digits.work.\(index)"
      thread.start()
    }
  }

  deinit {
    shared.jobs.withLock { $0.stopped = true }
    for _ in 0..<width { shared.ready.signal() }
  }

  /// `work`'s result, computed on the pool's threads.
  func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      shared.jobs.withLock { $0.queue.append { continuation.resume(with: Result { try work() }) } }
      shared.ready.signal()
    }
  }
}
