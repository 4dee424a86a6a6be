/// Scratch memory of one backend: packed panels, offset tables, column buffers and
/// per-thread partial sums. Allocated on first use and grown (never shrunk) when an op sees
/// a bigger shape, so a training step with fixed shapes allocates nothing.
///
/// NOTE: an op asks for all the scratch it needs once, at its start, and carves it up
/// itself; asking again in the same op may move memory it already holds.
final class Workspace {
  let threads: Int
  private let shared = Arena<Float>()
  private let sharedInts = Arena<Int32>()
  private let perThread = Arena<Float>()
  private let threadInts = Arena<Int32>()

  init(threads: Int) {
    self.threads = threads
  }

  /// `count` floats shared by all workers (64-byte aligned).
  func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
    shared.reserve(count)
  }

  /// `count` Int32 values shared by all workers.
  func ints(_ count: Int) -> UnsafeMutablePointer<Int32> {
    sharedInts.reserve(count)
  }

  /// `count` floats for each worker: worker t's block starts at `base + t * stride`.
  func perThreadFloats(_ count: Int) -> (base: UnsafeMutablePointer<Float>, stride: Int) {
    let stride = Workspace.roundUp(count)
    let base = perThread.reserve(stride * threads)
    return (base, stride)
  }

  /// `count` Int32 values for each worker: worker t's block starts at `base + t * stride`.
  func perThreadInts(_ count: Int) -> (base: UnsafeMutablePointer<Int32>, stride: Int) {
    let stride = Workspace.roundUp(count)
    return (threadInts.reserve(stride * threads), stride)
  }

  /// Rounds a float count up to a whole number of 64-byte lines (16 floats).
  @inline(__always)
  static func roundUp(_ count: Int) -> Int {
    (count + 15) & ~15
  }
}

/// One growable 64-byte aligned allocation (contents are not kept when it grows).
final class Arena<Element> {
  private var pointer: UnsafeMutablePointer<Element>?
  private var capacity = 0

  deinit { pointer?.deallocate() }

  func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
    if let pointer, count <= capacity { return pointer }
    pointer?.deallocate()
    let newCapacity = max(count, capacity + capacity / 2, 1024)
    let raw = UnsafeMutableRawPointer.allocate(
      byteCount: newCapacity * MemoryLayout<Element>.stride, alignment: 64)
    let p = raw.bindMemory(to: Element.self, capacity: newCapacity)
    pointer = p
    capacity = newCapacity
    return p
  }
}
