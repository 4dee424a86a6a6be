import COpenCL
import DigitsCore
import Foundation

/// Counts what the backend asks of the driver (launches, host waits, bytes moved) at each
/// call, and with profiling on keeps each kernel's event to read its device time from
/// CL_PROFILING_COMMAND_START/END later. The counts are what `train --profile` prints per step.
final class CLRecorder {
  private let api: CLAPI
  /// Whether the queue was made with CL_QUEUE_PROFILING_ENABLE.
  let profiling: Bool
  /// Set when the driver's events carry no timestamps (rusticl 22.3 on llvmpipe reports
  /// zeros): each kernel is then timed on the host from enqueue to clFinish, which adds the
  /// launch overhead and serialises the queue, but still shows where the time goes.
  var hostTimed = false
  private(set) var counters = DeviceCounters()
  private var pending: [(name: String, phase: OpPhase, event: cl_event)] = []
  private var times: [String: OpTime] = [:]

  init(api: CLAPI, profiling: Bool) {
    self.api = api
    self.profiling = profiling
  }

  deinit { for p in pending { _ = api.releaseEvent(p.event) } }

  func launched() { counters.launches += 1 }
  func filled() { counters.fills += 1 }
  func waited() { counters.hostWaits += 1 }
  func uploaded(_ bytes: Int) { counters.bytesUploaded += bytes }
  func downloaded(_ bytes: Int) { counters.bytesDownloaded += bytes }

  /// Where the driver should put the event of the next command: a slot when profiling, else nil.
  func withEvent(_ body: (UnsafeMutablePointer<cl_event?>?) -> cl_int) -> (status: cl_int, event: cl_event?) {
    guard profiling else { return (body(nil), nil) }
    var event: cl_event?
    let status = body(&event)
    return (status, event)
  }

  /// The host clock before an enqueue, when kernels are timed on the host.
  func hostStart() -> UInt64? { hostTimed ? DispatchTime.now().uptimeNanoseconds : nil }

  /// Keeps a command's event for `times`; `queue` is finished first when too many are kept.
  /// With host timing, waits for the command and books the time since `hostStart`.
  func keep(_ event: cl_event?, name: String, phase: OpPhase, queue: cl_command_queue, hostStart: UInt64? = nil) {
    if let hostStart {
      _ = api.finish(queue)
      if let event { _ = api.releaseEvent(event) }
      times[name, default: OpTime(name: name, phase: phase)].calls += 1
      times[name]!.seconds += Double(DispatchTime.now().uptimeNanoseconds - hostStart) / 1e9
      return
    }
    guard let event else { return }
    pending.append((name, phase, event))
    if pending.count >= 4096 {
      _ = api.finish(queue)
      collect()
    }
  }

  /// Device time per kernel so far; the caller has finished the queue.
  func opTimes() -> [OpTime] {
    collect()
    return Array(times.values)
  }

  /// Whether `event` (finished, a kernel that takes well over a microsecond) has real
  /// device timestamps.
  func hasTimestamps(_ event: cl_event) -> Bool {
    var start: cl_ulong = 0
    var end: cl_ulong = 0
    let a = api.getEventProfilingInfo(
      event, cl_profiling_info(CL_PROFILING_COMMAND_START), MemoryLayout<cl_ulong>.size, &start, nil)
    let b = api.getEventProfilingInfo(
      event, cl_profiling_info(CL_PROFILING_COMMAND_END), MemoryLayout<cl_ulong>.size, &end, nil)
    return a == CL_SUCCESS && b == CL_SUCCESS && end > start + 1000
  }

  private func collect() {
    for p in pending {
      var start: cl_ulong = 0
      var end: cl_ulong = 0
      let a = api.getEventProfilingInfo(
        p.event, cl_profiling_info(CL_PROFILING_COMMAND_START), MemoryLayout<cl_ulong>.size, &start, nil)
      let b = api.getEventProfilingInfo(
        p.event, cl_profiling_info(CL_PROFILING_COMMAND_END), MemoryLayout<cl_ulong>.size, &end, nil)
      _ = api.releaseEvent(p.event)
      times[p.name, default: OpTime(name: p.name, phase: p.phase)].calls += 1
      if a == CL_SUCCESS, b == CL_SUCCESS, end >= start { times[p.name]!.seconds += Double(end - start) / 1e9 }
    }
    pending.removeAll(keepingCapacity: true)
  }
}
