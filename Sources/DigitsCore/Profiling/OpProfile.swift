/// Which part of a training step an op belongs to, for the `--profile` table.
public enum OpPhase: String, Sendable, CaseIterable, Comparable {
  case transfer, forward, backward, update

  public static func < (a: OpPhase, b: OpPhase) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }
}

/// Time spent in one op (a `Backend` method on the CPU, a kernel on OpenCL) over a run.
public struct OpTime: Sendable, Equatable {
  public var name: String
  public var phase: OpPhase
  public var calls: Int
  public var seconds: Double

  public init(name: String, phase: OpPhase, calls: Int = 0, seconds: Double = 0) {
    self.name = name
    self.phase = phase
    self.calls = calls
    self.seconds = seconds
  }
}

/// What the host asked of the device: counted by the backend at each call, so a training
/// step's cost in launches, waits and bytes can be read without a tracing tool.
public struct DeviceCounters: Sendable, Equatable {
  /// Kernels enqueued (OpenCL) or ops run (CPU).
  public var launches = 0
  /// Buffer fills enqueued (clEnqueueFillBuffer: zeroing new tensors and the statistics).
  public var fills = 0
  /// Calls that made the host wait for the device: blocking reads and writes, clFinish,
  /// clWaitForEvents.
  public var hostWaits = 0
  public var bytesUploaded = 0
  public var bytesDownloaded = 0

  public init() {}

  public static func - (a: DeviceCounters, b: DeviceCounters) -> DeviceCounters {
    var d = DeviceCounters()
    d.launches = a.launches - b.launches
    d.fills = a.fills - b.fills
    d.hostWaits = a.hostWaits - b.hostWaits
    d.bytesUploaded = a.bytesUploaded - b.bytesUploaded
    d.bytesDownloaded = a.bytesDownloaded - b.bytesDownloaded
    return d
  }

  public static func + (a: DeviceCounters, b: DeviceCounters) -> DeviceCounters {
    var d = a
    d.launches += b.launches
    d.fills += b.fills
    d.hostWaits += b.hostWaits
    d.bytesUploaded += b.bytesUploaded
    d.bytesDownloaded += b.bytesDownloaded
    return d
  }
}
