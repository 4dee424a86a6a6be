import DigitsCore
import Foundation

/// The CPU implementation of `Backend`: Float32 SIMD code (AVX2+FMA through `-target-cpu
/// haswell`), work split statically over `threads` (the caller plus a `WorkerPool`).
///
/// Every op is synchronous. Results depend only on the inputs and the thread count: work is
/// split the same way every call, and per-thread partial sums are reduced in a fixed order.
/// The backend is not thread-safe: call it from one thread at a time (its scratch memory is
/// shared by all ops).
public final class CPUBackend: Backend {
  /// Number of threads each op uses (1 to 64).
  public let threads: Int
  let workspace: Workspace
  let pool: WorkerPool?
  /// Buffers whose contents are deferred (see `DeferredUnpool`).
  var deferredBuffers: [WeakBuffer] = []

  public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
    self.threads = min(max(1, threads), 64)
    self.workspace = Workspace(threads: self.threads)
    self.pool = self.threads > 1 ? WorkerPool(workers: self.threads - 1) : nil
    deferredBuffers.reserveCapacity(16)
  }

  deinit {
    pool?.shutdown()
  }

  public var name: String {
    "cpu (\(threads) thread\(threads == 1 ? "" : "s"), AVX2)"
  }

  @inline(__always) func buf(_ t: Tensor) -> CPUBuffer {
    t.buffer as! CPUBuffer
  }

  public func makeTensor(_ shape: [Int]) -> Tensor {
    Tensor(shape: shape, buffer: CPUBuffer(count: shape.reduce(1, *)))
  }

  public func upload(_ values: UnsafeBufferPointer<Float>, to tensor: Tensor) {
    ShapeCheck.require(values.count == tensor.count, "upload", "\(values.count) values for a tensor of \(tensor.count)")
    let destination = write(tensor)
    guard let source = values.baseAddress else { return }
    destination.update(from: source, count: values.count)
  }

  public func download(_ tensor: Tensor) -> [Float] {
    Array(UnsafeBufferPointer(start: read(tensor), count: tensor.count))
  }

  public func zero(_ tensor: Tensor) {
    write(tensor).update(repeating: 0, count: tensor.count)
  }

  public func synchronize() {}

  /// Runs `body(t)` for t in 0..<parts (parts <= threads), in parallel when there are
  /// several parts.
  @inline(__always)
  func parallel(_ parts: Int, _ body: (Int) -> Void) {
    if parts <= 1 {
      body(0)
    } else if let pool {
      pool.run(parts, body)
    } else {
      for t in 0..<parts { body(t) }
    }
  }

  /// The part of 0..<count that worker `t` of `parts` handles (contiguous, sizes differ by
  /// at most one).
  @inline(__always)
  static func share(_ count: Int, _ t: Int, _ parts: Int) -> Range<Int> {
    (count * t / parts)..<(count * (t + 1) / parts)
  }

  /// Reads one float per 64-byte line of p[0..<count] and stores their sum to `sink`: pulls
  /// the next image into cache with a few hundred independent loads, where the GEMM's own
  /// access pattern (im2col offsets, strided rows) defeats the hardware prefetcher.
  @inline(__always)
  func touch(_ p: UnsafePointer<Float>, _ count: Int, sink: UnsafeMutablePointer<Float>) {
    var sum: Float = 0
    var i = 0
    while i < count {
      sum += p[i]
      i += 16
    }
    sink.pointee = sum
  }

  /// How many workers to use for `items` independent pieces of about `flopsEach` work each:
  /// small jobs run on one thread, where a dispatch would cost more than it saves.
  @inline(__always)
  func workers(items: Int, flopsEach: Int) -> Int {
    if items < 2 || items * flopsEach < 200_000 { return 1 }
    return min(threads, items)
  }
}

/// A tensor's storage: a 64-byte aligned Float32 allocation with zeroed slack after the last
/// element, so SIMD loads that run past the end of a row read finite memory.
public final class CPUBuffer: DeviceBuffer {
  /// Number of Float32 elements.
  public let count: Int
  /// First element; `count + CPUBuffer.slack` elements are allocated.
  public let pointer: UnsafeMutablePointer<Float>

  /// Elements allocated past `count` (zero, never written by an op).
  public static let slack = 32

  /// Counts writes (see `DeferredUnpool`).
  var version = 0
  /// Set while the contents are an unpooled gradient not yet written here.
  var deferred: DeferredUnpool?
  /// Set when max pooling read this buffer.
  var pooled: PoolRecord?
  /// Private copies of a deferred unpool's sources (see `DeferredUnpool`).
  var privateGradient: CPUBuffer?
  var privateArgmax: CPUBuffer?

  init(count: Int) {
    self.count = count
    let total = count + Self.slack
    let raw = UnsafeMutableRawPointer.allocate(byteCount: total * 4, alignment: 64)
    pointer = raw.bindMemory(to: Float.self, capacity: total)
    pointer.initialize(repeating: 0, count: total)
  }

  deinit {
    pointer.deallocate()
  }
}
