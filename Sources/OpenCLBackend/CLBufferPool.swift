import COpenCL
import DigitsCore
import Foundation

/// A tensor's device memory. When the last tensor using it goes away the cl_mem returns to
/// its backend's pool, so a training loop that makes the same shapes every step reuses
/// device memory instead of allocating.
final class CLBuffer: DeviceBuffer, @unchecked Sendable {
  let count: Int
  let bytes: Int
  let mem: cl_mem
  private let pool: CLBufferPool

  /// `bytes` below the tensor's size only for the stand-in of a faulted backend.
  init(count: Int, pool: CLBufferPool, bytes: Int? = nil) throws(CLError) {
    self.count = count
    // NOTE: OpenCL rejects zero-sized buffers; an empty tensor gets one unused float.
    self.bytes = bytes ?? (max(1, count) * MemoryLayout<Float>.stride)
    self.pool = pool
    self.mem = try pool.take(bytes: self.bytes)
  }

  deinit { pool.give(mem, bytes: bytes) }
}

/// Free device buffers of one backend, by size in bytes. One pool per backend, because a
/// buffer may be reused as soon as it is given back: only its own in-order queue guarantees
/// that the commands already queued on it run first. Thread-safe: tensors may be released
/// on any thread.
final class CLBufferPool: @unchecked Sendable {
  private let api: CLAPI
  private let context: CLContext
  private let device: OpenCLDeviceInfo
  private var free: [Int: [cl_mem]] = [:]
  private var freeBytes = 0
  /// Pooled (idle) memory is capped at a quarter of the device's memory.
  private let limitBytes: Int
  /// CL_DEVICE_MAX_MEM_ALLOC_SIZE, when known: a larger buffer is refused before asking.
  private let maxAllocationBytes: UInt64?
  private let lock = NSLock()
  private var createdCount = 0

  /// Buffers asked of the driver so far (a reused one is not counted): what shows that the
  /// pool reuses.
  var created: Int {
    lock.lock()
    defer { lock.unlock() }
    return createdCount
  }

  init(context: CLContext, limits: OpenCLLimits) {
    self.api = context.api
    self.maxAllocationBytes = limits.maxAllocationBytes
    self.context = context
    self.device = context.info
    self.limitBytes = Int(min(device.globalMemoryBytes / 4, UInt64(Int.max)))
  }

  /// A buffer of exactly `bytes`, reused when one is free. Contents are undefined.
  func take(bytes: Int) throws(CLError) -> cl_mem {
    lock.lock()
    if var list = free[bytes], let mem = list.popLast() {
      free[bytes] = list
      freeBytes -= bytes
      lock.unlock()
      return mem
    }
    lock.unlock()
    if let maxAllocationBytes, UInt64(bytes) > maxAllocationBytes {
      throw .call(
        "clCreateBuffer(\(bytes) bytes on \(device.name), above its \(maxAllocationBytes)-byte allocation limit)",
        status: -61)
    }
    var status: cl_int = 0
    var mem = api.createBuffer(context.context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &status)
    if mem == nil || status != CL_SUCCESS {
      // Out of memory: give the idle buffers back to the driver and try once more.
      drain()
      mem = api.createBuffer(context.context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &status)
    }
    try CLAPI.check(status, "clCreateBuffer(\(bytes) bytes on \(device.name))")
    guard let mem else { throw .call("clCreateBuffer(\(bytes) bytes on \(device.name))", status: -4) }
    lock.lock()
    createdCount += 1
    lock.unlock()
    return mem
  }

  /// Returns a buffer for reuse. Kernels still queued on it are unaffected: queues are in
  /// order, so the next user's commands run after them.
  func give(_ mem: cl_mem, bytes: Int) {
    lock.lock()
    if freeBytes + bytes <= limitBytes {
      free[bytes, default: []].append(mem)
      freeBytes += bytes
      lock.unlock()
    } else {
      lock.unlock()
      _ = api.releaseMemObject(mem)
    }
  }

  deinit { drain() }

  /// Releases every idle buffer.
  func drain() {
    lock.lock()
    let all = free.values.flatMap { $0 }
    free = [:]
    freeBytes = 0
    lock.unlock()
    for mem in all { _ = api.releaseMemObject(mem) }
  }
}
