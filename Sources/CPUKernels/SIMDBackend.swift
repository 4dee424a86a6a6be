import CPUKernelInterface
import DigitsCore
import Foundation

/// The CPU implementation of `Backend` as compiled into this module: Float32 SIMD code for
/// the instruction set of its `-target-cpu` (see the CPUBackend DocC article), work split
/// statically over `threads` (the caller plus a `WorkerPool`). `CPUBackend.make` picks the build.
///
/// Every op is synchronous. Results depend only on the inputs and the thread count: work is
/// split the same way every call, and per-thread partial sums are reduced in a fixed order.
/// The backend is not thread-safe: call it from one thread at a time (its scratch memory is
/// shared by all ops).
public final class SIMDBackend: CPUKernels {
  /// Number of threads each op uses (1 to 64).
  public let threads: Int
  let workspace: Workspace
  let pool: WorkerPool?
  /// Ops run (each a launch), transfers and their bytes, as a device backend counts them.
  public internal(set) var counters = DeviceCounters()
  /// Winograd-transformed filters by weight buffer (`transformedFilters`).
  var winogradFilters: [ObjectIdentifier: WinogradFilters] = [:]

  public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
    self.threads = min(max(1, threads), 64)
    self.workspace = Workspace(threads: self.threads)
    self.pool = self.threads > 1 ? WorkerPool(workers: self.threads - 1) : nil
  }

  deinit {
    pool?.shutdown()
  }

  /// 64 images: few dispatches per image, the dense layers' weights reused over 64 rows, and
  /// a batch's activations still in L2. Measured on the seed network (10,000 images, one
  /// thread, Zen 4): 64 and 128 equal within noise, 256 5-10% slower.
  public var inferenceBatchSize: Int { 64 }

  /// The instruction set this copy of the kernels was compiled for (Package.swift's defines).
  public static var path: CPUPath {
    #if DIGITS_AVX512
      return .avx512
    #elseif DIGITS_FMA
      return .avx2
    #else
      return .portable
    #endif
  }

  public var path: CPUPath { Self.path }

  /// "cpu (avx512, 2 threads)".
  public var name: String {
    "cpu (\(Self.path), \(threads) thread\(threads == 1 ? "" : "s"))"
  }

  @inline(__always) func buf(_ t: Tensor) -> CPUBuffer {
    t.buffer as! CPUBuffer
  }

  /// The elements of `t`, for reading.
  @inline(__always) func read(_ t: Tensor) -> UnsafeMutablePointer<Float> {
    buf(t).pointer
  }

  /// The elements of `t`, to be overwritten (or, with `inPlace`, read and updated).
  @inline(__always) func write(_ t: Tensor, inPlace: Bool = false) -> UnsafeMutablePointer<Float> {
    buf(t).pointer
  }

  public func makeTensor(_ shape: [Int]) -> Tensor {
    Tensor(shape: shape, buffer: CPUBuffer(count: shape.reduce(1, *)))
  }

  public func upload(_ values: UnsafeBufferPointer<Float>, to tensor: Tensor) {
    ShapeCheck.require(values.count == tensor.count, "upload", "\(values.count) values for a tensor of \(tensor.count)")
    counters.launches += 1
    counters.bytesUploaded += values.count * MemoryLayout<Float>.stride
    let destination = buf(tensor).pointer
    guard let source = values.baseAddress else { return }
    destination.update(from: source, count: values.count)
  }

  public func download(_ tensor: Tensor) -> [Float] {
    counters.launches += 1
    counters.hostWaits += 1
    counters.bytesDownloaded += tensor.count * MemoryLayout<Float>.stride
    return Array(UnsafeBufferPointer(start: buf(tensor).pointer, count: tensor.count))
  }

  public func zero(_ tensor: Tensor) {
    counters.fills += 1
    buf(tensor).pointer.update(repeating: 0, count: tensor.count)
  }

  public func synchronize() { counters.hostWaits += 1 }

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

  /// The allocation `pointer` lies in.
  private let raw: UnsafeMutableRawPointer

  /// Zeroed by `calloc`: a large tensor's pages come from the kernel already zero and are
  /// only faulted in when first touched, so buffers an op never writes (the backward pass's,
  /// when only answers are wanted) cost no time.
  init(count: Int) {
    self.count = count
    let total = count + Self.slack
    guard let raw = calloc(total * 4 + 64, 1) else { fatalError("out of memory for a tensor of \(count) floats") }
    self.raw = raw
    let aligned = (Int(bitPattern: raw) + 63) & ~63
    pointer = UnsafeMutableRawPointer(bitPattern: aligned)!.bindMemory(to: Float.self, capacity: total)
  }

  deinit {
    free(raw)
  }
}
