import DigitsCore
import Dispatch
import Foundation
import Synchronization

/// The network shared by concurrent requests, run in batches: requests that arrive while a
/// batch is computing wait together and go as the next batch. A request that finds the
/// network idle runs it at once on its own thread (no timer, no thread hop, no added
/// latency); under load, batches grow by themselves, and a batch of 32 costs the CPU
/// backend under half as much per image as 32 singles.
///
/// The network (not thread-safe: it owns device buffers) is used by one thread at a
/// time: the request that found it idle, or `queue`, a serial dispatch queue that runs the
/// waiting batches, so no request blocks a Swift concurrency thread while it waits.
///
/// When the network throws, that batch's requests get `NetworkFailure`, `onFailure` gets one
/// line, and later batches run on `fallback()` (the CPU backend), once.
public final class BatchingClassifier: @unchecked Sendable {
  private struct Job: Sendable {
    let inputs: [Float]
    let continuation: CheckedContinuation<[Float], any Error>
  }

  private struct Pending {
    var jobs: [Job] = []
    /// A drain is queued or running on `queue`.
    var draining = false
    var batches = 0
    var images = 0
  }

  /// Touched only by the thread that set `draining`.
  private var network: any ServingNetwork
  private var fallback: (() throws -> any ServingNetwork)?
  private let onFailure: @Sendable (String) -> Void
  private let queue = DispatchQueue(label: "digits.classifier", qos: .userInitiated)
  private let pending = Mutex(Pending())
  private let fellBack = Atomic<Bool>(false)
  /// A network `replace` handed over, taken up by the next batch (by the thread that runs it).
  private var replacement: (network: any ServingNetwork, fallback: (() throws -> any ServingNetwork)?)?
  private let replacementLock = NSLock()

  public init(
    _ network: any ServingNetwork, fallback: (() throws -> any ServingNetwork)? = nil,
    onFailure: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.network = network
    self.fallback = fallback
    self.onFailure = onFailure
  }

  /// Whether a failure moved the batches to the fallback network.
  public var usesFallback: Bool { fellBack.load(ordering: .acquiring) }

  /// `inputs` holds n * 784 values; returns n * 10 probabilities.
  public func probabilities(_ inputs: [Float]) async throws -> [Float] {
    guard !inputs.isEmpty else { return [] }
    let idle = pending.withLock { p -> Bool in
      if p.draining { return false }
      p.draining = true
      return true
    }
    if idle {
      let out = run(inputs)
      let more = pending.withLock { p -> Bool in
        if p.jobs.isEmpty { p.draining = false }
        return !p.jobs.isEmpty
      }
      // Requests that came meanwhile: the queue runs them, so this one answers now.
      if more { queue.async { self.drain() } }
      return try out.get()
    }
    return try await withCheckedThrowingContinuation { continuation in
      let start = pending.withLock { p -> Bool in
        p.jobs.append(Job(inputs: inputs, continuation: continuation))
        defer { p.draining = true }
        return !p.draining
      }
      if start { queue.async { self.drain() } }
    }
  }

  /// Requests waiting for the next batch.
  public var waiting: Int { pending.withLock { $0.jobs.count } }

  /// Batches run so far and the images in them (their ratio is the mean batch size).
  public var statistics: (batches: Int, images: Int) {
    pending.withLock { ($0.batches, $0.images) }
  }

  /// Serves `network` from the next batch on (a fine-tuned model swapped in); the batch
  /// running now finishes on the old one, so no request waits for the swap.
  public func replace(with network: any ServingNetwork, fallback: (() throws -> any ServingNetwork)?) {
    replacementLock.withLock { replacement = (network, fallback) }
  }

  /// One batch through the network, counted. Only the thread that set `draining` calls it.
  private func run(_ inputs: [Float]) -> Result<[Float], any Error> {
    if let next = replacementLock.withLock({
      () -> (network: any ServingNetwork, fallback: (() throws -> any ServingNetwork)?)? in
      defer { replacement = nil }
      return replacement
    }) {
      network = next.network
      fallback = next.fallback
    }
    let out: Result<[Float], any Error>
    do {
      out = .success(try network.classify(inputs))
    } catch {
      moveToFallback(after: error)
      out = .failure(NetworkFailure(description: "\(error)"))
    }
    pending.withLock {
      $0.batches += 1
      $0.images += inputs.count / MNISTShape.pixels
    }
    return out
  }

  private func moveToFallback(after error: any Error) {
    guard let make = fallback else {
      onFailure("the network failed (\(error)); no fallback, answering 500")
      return
    }
    fallback = nil
    do {
      network = try make()
      fellBack.store(true, ordering: .releasing)
      onFailure("the network failed (\(error)); serving on the CPU backend from now on")
    } catch let second {
      onFailure("the network failed (\(error)), and the CPU fallback could not start (\(second))")
    }
  }

  /// Runs everything waiting as one batch, then whatever arrived meanwhile, until idle.
  private func drain() {
    while true {
      let jobs = pending.withLock { p -> [Job] in
        let jobs = p.jobs
        p.jobs.removeAll(keepingCapacity: true)
        if jobs.isEmpty { p.draining = false }
        return jobs
      }
      if jobs.isEmpty { return }
      let inputs = jobs.count == 1 ? jobs[0].inputs : jobs.flatMap(\.inputs)
      switch run(inputs) {
      case .success(let out):
        var start = 0
        let classes = out.count / max(1, inputs.count / MNISTShape.pixels)
        for job in jobs {
          let count = job.inputs.count / MNISTShape.pixels * classes
          job.continuation.resume(returning: Array(out[start..<(start + count)]))
          start += count
        }
      case .failure(let error):
        for job in jobs { job.continuation.resume(throwing: error) }
      }
    }
  }
}
