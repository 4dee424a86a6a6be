import Dispatch
import Foundation
import Synchronization

/// Persistent worker threads for the backend's fork-join ops.
///
/// A job has `parts` numbered pieces; the caller and the workers claim them one at a time
/// from a shared counter, so the caller does all of them itself when the workers are busy
/// elsewhere (another process on the core) instead of waiting for them. Part t always does
/// the same work whoever runs it, so results do not depend on which thread ran what.
/// Between jobs a worker spins on the counter for a while (ops follow each other within
/// microseconds in a training step), then sleeps on a semaphore, so an idle backend costs no
/// CPU. A job allocates nothing.
final class WorkerPool: @unchecked Sendable {
  private let workers: [Worker]
  /// generation << 16 | parts << 8 | parts claimed so far. A part claimed with a compare-and-
  /// swap on the current generation proves the caller is still inside `run` for that job
  /// (it waits for every claimed part), so the claimer may read `body`.
  private let state = Atomic<Int>(0)
  private let completed = Atomic<Int>(0)
  private let stopping = Atomic<Bool>(false)
  private var body: ((Int) -> Void)?

  /// A waiting thread polls this many times back to back, then yields the core between
  /// polls (another runnable thread, maybe the caller, gets it), then sleeps.
  static let busyPolls = 2_000
  static let yieldingPolls = 2_000

  final class Worker: @unchecked Sendable {
    let sleeping = Atomic<Bool>(false)
    let wake = DispatchSemaphore(value: 0)
  }

  /// A pool of `count` worker threads (the caller makes one more), at most 255 parts a job.
  init(workers count: Int) {
    workers = (0..<count).map { _ in Worker() }
    for (index, worker) in workers.enumerated() {
      let thread = Thread { [self] in self.loop(worker) }
      thread.name = "SIMDBackend worker \(index + 1)"
      thread.start()
    }
  }

  /// Stops the threads (they hold the pool until they have seen this).
  func shutdown() {
    stopping.store(true, ordering: .sequentiallyConsistent)
    state.add(1 << 16, ordering: .sequentiallyConsistent)
    wakeSleepers()
  }

  /// Runs body(0..<parts), returning when every part is done.
  /// NOTE: `withoutActuallyEscaping` costs one small heap allocation per job (its escape
  /// check); never inlined, or callers that see `body` stored would also move their closure
  /// contexts to the heap.
  @inline(never)
  func run(_ parts: Int, _ body: (Int) -> Void) {
    precondition(parts < 256)
    withoutActuallyEscaping(body) { body in
      self.body = body
      completed.store(0, ordering: .relaxed)
      let generation = (state.load(ordering: .relaxed) >> 16) + 1
      state.store(generation << 16 | parts << 8, ordering: .sequentiallyConsistent)
      wakeSleepers()
      while let part = claim(generation) { runPart(part) }
      var polls = 0
      while completed.load(ordering: .acquiring) < parts {
        polls += 1
        if polls > Self.busyPolls { sched_yield() }
      }
      self.body = nil
    }
  }

  @inline(__always)
  private func runPart(_ part: Int) {
    body!(part)
    completed.add(1, ordering: .releasing)
  }

  /// Claims the next part of job `generation`, or nil when it has none left (or is over).
  @inline(__always)
  private func claim(_ generation: Int) -> Int? {
    var current = state.load(ordering: .acquiring)
    while current >> 16 == generation {
      let parts = (current >> 8) & 0xFF, claimed = current & 0xFF
      if claimed >= parts { return nil }
      let (exchanged, original) = state.compareExchange(
        expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
      if exchanged { return claimed }
      current = original
    }
    return nil
  }

  private func wakeSleepers() {
    for worker in workers where worker.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
      worker.wake.signal()
    }
  }

  private func loop(_ worker: Worker) {
    var seen = 0
    while true {
      var polls = 0
      while state.load(ordering: .acquiring) >> 16 == seen {
        polls += 1
        if polls < Self.busyPolls { continue }
        if polls < Self.busyPolls + Self.yieldingPolls {
          sched_yield()
          continue
        }
        worker.sleeping.store(true, ordering: .sequentiallyConsistent)
        if state.load(ordering: .sequentiallyConsistent) >> 16 == seen { worker.wake.wait() }
        worker.sleeping.store(false, ordering: .sequentiallyConsistent)
        polls = 0
      }
      if stopping.load(ordering: .acquiring) { return }
      seen = state.load(ordering: .acquiring) >> 16
      while let part = claim(seen) { runPart(part) }
    }
  }
}
