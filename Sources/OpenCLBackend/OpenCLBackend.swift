import COpenCL
import DigitsCore
import Foundation

/// The `Backend` on an OpenCL 1.2 device: one context (shared per device), one in-order
/// queue, every op a kernel from Kernels/, so a training step runs with no host round trip
/// between layers. Only `download` and `synchronize` wait for the device.
///
/// Errors while setting up (no loader, no platform, no device, build failure) are thrown by
/// `init`. An OpenCL call failing afterwards, inside an op (out of device memory, a lost
/// device), is kept as `fault`: the `Backend` ops do not throw, so from then on they do
/// nothing (downloads give zeros) and callers check `fault` before using a result. A server
/// answers 500 and moves to the CPU; `train` stops with one line naming the call and status.
public final class OpenCLBackend: Backend {
  /// The device this backend runs on.
  public let device: OpenCLDeviceInfo
  /// The kernel parameters it was built with.
  public let tuning: OpenCLTuning
  /// The limits the tiles were chosen and the GEMMs are planned within: the device's (with
  /// the loop limit measured on it), capped by any asked for.
  public let limits: OpenCLLimits

  let api: CLAPI
  let context: CLContext
  let queue: cl_command_queue
  let kernels: CLKernels
  let pool: CLBufferPool
  let recorder: CLRecorder
  /// Split-K partial sums, grown on demand: slot i holds the partials of the i-th reduction
  /// still waiting (`pendingReductions`); the next free slot is reused by each call.
  private var scratch: [CLBuffer] = []
  /// Weight-gradient reductions enqueued later, together (`finishReductions`).
  var pendingReductions: [PendingReduction] = []
  /// The kernels built with the narrow tiles (`tuning.narrowed`), for GEMM calls too small
  /// to fill the device; built on the first such call, nil when they cannot be (those calls
  /// then keep the wide tiles). Never built on a device that every call fills.
  private(set) lazy var narrowKernels: CLKernels? = makeNarrowKernels()
  /// The first OpenCL call that failed after `init`; every op is skipped once it is set.
  public private(set) var fault: DigitsError?

  /// Opens device `deviceIndex` of `OpenCLDevices.list()`, or with nil the first GPU
  /// (`auto`). `tuning` overrides the tiles chosen for the device (for benchmarks and tests);
  /// `limits` makes the backend plan as if the device allowed no more than that (tests of
  /// small GPUs' limits on a CPU driver). `profiling` makes the queue keep each kernel's
  /// device time for `opTimes()` (`--profile`).
  public init(
    deviceIndex: Int? = nil, tuning: OpenCLTuning? = nil, limits: OpenCLLimits? = nil,
    profiling: Bool = OpenCLBackend.profileByDefault
  ) throws(CLError) {
    let api = try CLAPI.shared.get()
    let found = try OpenCLDevices.discover(api: api)
    let chosen: OpenCLDevices.Found
    if let deviceIndex {
      guard found.indices.contains(deviceIndex) else {
        throw .deviceIndexOutOfRange(index: deviceIndex, devices: found.map(\.info))
      }
      chosen = found[deviceIndex]
    } else {
      guard let gpu = found.first(where: { $0.info.isAutoChoice }) else {
        throw .noGPU(devices: found.map(\.info))
      }
      chosen = gpu
    }
    self.api = api
    self.device = chosen.info
    self.context = try CLContext.shared(api: api, found: chosen)
    let limits = limits.map { chosen.info.limits.capped(by: $0) } ?? chosen.info.limits
    let program = try context.program(tuning: tuning, limits: limits)
    self.tuning = program.tuning
    var status: cl_int = 0
    let properties = profiling ? cl_command_queue_properties(CL_QUEUE_PROFILING_ENABLE) : 0
    let queue = api.createCommandQueue(context.context, context.device, properties, &status)
    try CLAPI.check(status, "clCreateCommandQueue(\(chosen.info.name))")
    guard let queue else { throw .call("clCreateCommandQueue(\(chosen.info.name))", status: -6) }
    self.queue = queue
    let recorder = CLRecorder(api: api, profiling: profiling)
    self.recorder = recorder
    let kernels: CLKernels
    let loopIterations: Int?
    do {
      kernels = try CLKernels(program: program, context: context, queue: queue, recorder: recorder, limits: limits)
      loopIterations = try context.loopIterations { () throws(CLError) in try kernels.measureLoopLimit() }
    } catch {
      _ = api.releaseCommandQueue(queue)
      throw error
    }
    self.kernels = kernels
    var planned = limits
    planned.loopIterations = [limits.loopIterations, loopIterations].compactMap { $0 }.min()
    self.limits = planned
    self.pool = CLBufferPool(context: context, limits: limits)
    if profiling { probeTimestamps() }
  }

  /// Runs one kernel over 2^20 elements (well over a microsecond on any device) with an
  /// event; when the driver's timestamps say it took less (rusticl 22.3 reports ~0), or
  /// DIGITS_OPENCL_PROFILE_HOST=1, `--profile` times kernels on the host instead.
  private func probeTimestamps() {
    let count = 1 << 20
    let probe = make(count: count)
    var event: cl_event?
    var local = [kernels.elementwiseLocalSize]
    var global = [(count + local[0] - 1) / local[0] * local[0]]
    do {
      try kernels.setArguments(.reluBackward, [.mem(probe.mem), .mem(probe.mem), .int(count)])
      let status = api.enqueueNDRangeKernel(
        queue, kernels.kernel(.reluBackward), 1, nil, &global, &local, 0, nil, &event)
      guard status == CL_SUCCESS, let event else { return }
      _ = api.finish(queue)
      let forced = ProcessInfo.processInfo.environment["DIGITS_OPENCL_PROFILE_HOST"] == "1"
      recorder.hostTimed = forced || !recorder.hasTimestamps(event)
      _ = api.releaseEvent(event)
    } catch {
      fail(error)
    }
  }

  deinit {
    _ = api.finish(queue)
    _ = api.releaseCommandQueue(queue)
  }

  public var name: String { "opencl (\(device.name), \(device.computeUnits) compute units, \(tuning))" }

  // MARK: - Profiling

  /// Whether backends made without saying are profiled: `--profile` sets it before the
  /// command makes its backend.
  public nonisolated(unsafe) static var profileByDefault = false

  public var counters: DeviceCounters { recorder.counters }
  /// Device buffers this backend has asked the driver for; a tensor made from a released
  /// one of the same size reuses it and does not count.
  public var buffersCreated: Int { pool.created }

  /// Device time per kernel (from profiling events; zero times without `profiling`).
  public func opTimes() -> [OpTime] {
    finishReductions()
    if fault == nil { _ = api.finish(queue) }
    return recorder.opTimes()
  }

  // MARK: - Memory

  public func makeTensor(_ shape: [Int]) -> Tensor {
    let buffer = make(count: shape.reduce(1, *))
    zero(buffer)
    return Tensor(shape: shape, buffer: buffer)
  }

  public func upload(_ values: UnsafeBufferPointer<Float>, to tensor: Tensor) {
    let buffer = mem(tensor)
    ShapeCheck.require(values.count == buffer.count, "upload", "\(values.count) values for \(tensor.shape)")
    if values.isEmpty || fault != nil { return }
    finishReductions(touching: [.mem(buffer.mem)])
    recorder.waited()
    recorder.uploaded(values.count * 4)
    let status = api.enqueueWriteBuffer(
      queue, buffer.mem, cl_bool(CL_TRUE), 0, values.count * 4, values.baseAddress, 0, nil, nil)
    check(status, "clEnqueueWriteBuffer(\(values.count * 4) bytes)")
  }

  public func download(_ tensor: Tensor) -> [Float] {
    let buffer = mem(tensor)
    if buffer.count == 0 { return [] }
    finishReductions(touching: [.mem(buffer.mem)])
    if fault != nil { return [Float](repeating: 0, count: buffer.count) }
    recorder.waited()
    recorder.downloaded(buffer.count * 4)
    return [Float](unsafeUninitializedCapacity: buffer.count) { storage, initialized in
      let status = api.enqueueReadBuffer(
        queue, buffer.mem, cl_bool(CL_TRUE), 0, buffer.count * 4, storage.baseAddress, 0, nil, nil)
      check(status, "clEnqueueReadBuffer(\(buffer.count * 4) bytes)")
      initialized = buffer.count
    }
  }

  public func zero(_ tensor: Tensor) { zero(mem(tensor)) }

  public func synchronize() {
    finishReductions()
    if fault != nil { return }
    recorder.waited()
    check(api.finish(queue), "clFinish")
  }

  // MARK: - Helpers for the op files

  /// A buffer of `count` floats. When the device cannot give one, the fault is kept and a
  /// one-float stand-in is returned: no op touches a buffer after a fault.
  func make(count: Int) -> CLBuffer {
    if fault == nil {
      do { return try CLBuffer(count: count, pool: pool) } catch { fail(error) }
    }
    do {
      return try CLBuffer(count: count, pool: pool, bytes: MemoryLayout<Float>.stride)
    } catch {
      fatalError("OpenCL on \(device.name): \(fault.map(String.init(describing:)) ?? ""); then \(error)")
    }
  }

  func zero(_ buffer: CLBuffer) {
    finishReductions(touching: [.mem(buffer.mem)])
    if fault != nil { return }
    var pattern: Float = 0
    recorder.filled()
    let status = api.enqueueFillBuffer(queue, buffer.mem, &pattern, 4, 0, buffer.bytes, 0, nil, nil)
    check(status, "clEnqueueFillBuffer(\(buffer.bytes) bytes)")
  }

  /// This backend's buffer behind a tensor; a tensor of another backend is a programming error.
  func mem(_ tensor: Tensor) -> CLBuffer {
    guard let buffer = tensor.buffer as? CLBuffer else {
      preconditionFailure("OpenCLBackend got a tensor of another backend (\(type(of: tensor.buffer)))")
    }
    return buffer
  }

  /// A scratch buffer of at least `count` floats that no waiting reduction reads, valid until
  /// the next call.
  func scratchBuffer(count: Int) -> CLBuffer {
    let slot = pendingReductions.count
    if slot < scratch.count, scratch[slot].count >= count { return scratch[slot] }
    let buffer = make(count: count)
    if slot < scratch.count { scratch[slot] = buffer } else { scratch.append(buffer) }
    return buffer
  }

  func launch(_ name: CLKernels.Name, global: [Int], local: [Int], _ args: CLArg...) {
    launch(name, global: global, local: local, arguments: args)
  }

  func launch(
    _ name: CLKernels.Name, global: [Int], local: [Int], on chosen: CLKernels? = nil, arguments args: [CLArg]
  ) {
    finishReductions(touching: args)
    if fault != nil { return }
    do { try (chosen ?? kernels).launch(name, global: global, local: local, args) } catch { fail(error) }
  }

  /// A split-K reduction of `groups` work-groups, each summing up to `slices` slices of
  /// `kernels.reduceLocalSize.elements` elements.
  func launchReduce(_ name: CLKernels.Name, groups: Int, slices: Int, arguments args: [CLArg]) {
    if fault != nil { return }
    do { try kernels.launchReduce(name, groups: groups, slices: slices, args) } catch { fail(error) }
  }

  private func makeNarrowKernels() -> CLKernels? {
    guard let narrowed = tuning.narrowed, narrowed.problem(within: limits) == nil,
      let program = try? context.program(tuning: narrowed, limits: limits)
    else { return nil }
    return try? CLKernels(program: program, context: context, queue: queue, recorder: recorder, limits: limits)
  }

  func launch(_ name: CLKernels.Name, elements count: Int, _ args: CLArg...) {
    launch(name, elements: count, arguments: args)
  }

  func launch(_ name: CLKernels.Name, elements count: Int, arguments args: [CLArg]) {
    finishReductions(touching: args)
    if fault != nil { return }
    do { try kernels.launch(name, elements: count, args) } catch { fail(error) }
  }

  func check(_ status: cl_int, _ call: @autoclosure () -> String) {
    if status != CL_SUCCESS { fail(.call(call(), status: status)) }
  }

  /// Keeps the first failure; the ops check `fault` and do nothing from then on.
  func fail(_ error: CLError) {
    if fault == nil { fault = DigitsError("OpenCL on \(device.name): \(error)") }
  }
}
