/// Build-time kernel parameters (passed as -D options) and launch shapes, chosen per device.
///
/// GEMM tiles: a work-group computes a `tileM` x `tileN` block of outputs with
/// (tileN / workPerItemN) x (tileM / workPerItemM) work-items, stepping `tileK` along the
/// reduction through local memory (tileK * (tileM + tileN) floats).
public struct OpenCLTuning: Sendable, Hashable, CustomStringConvertible {
  public var tileM: Int
  public var tileN: Int
  public var tileK: Int
  public var workPerItemM: Int
  public var workPerItemN: Int
  /// Work-items of the single work-group that reduces the loss (a power of two).
  public var lossWorkGroup: Int
  /// Split-K weight gradients aim for about this many work-groups in flight.
  public var targetWorkGroups: Int

  public init(
    tileM: Int, tileN: Int, tileK: Int, workPerItemM: Int, workPerItemN: Int,
    lossWorkGroup: Int = 64, targetWorkGroups: Int = 8
  ) {
    self.tileM = tileM
    self.tileN = tileN
    self.tileK = tileK
    self.workPerItemM = workPerItemM
    self.workPerItemN = workPerItemN
    self.lossWorkGroup = lossWorkGroup
    self.targetWorkGroups = targetWorkGroups
  }

  /// Work-items in one GEMM work-group.
  public var gemmWorkGroupSize: Int { (tileM / workPerItemM) * (tileN / workPerItemN) }
  /// Local memory one GEMM work-group uses, in bytes.
  public var gemmLocalMemoryBytes: Int { 4 * tileK * (tileM + tileN) }

  public var description: String {
    "tiles \(tileM)x\(tileN)x\(tileK), \(workPerItemM)x\(workPerItemN) per work-item"
  }

  var buildOptions: String {
    "-D TS_M=\(tileM) -D TS_N=\(tileN) -D TS_K=\(tileK) -D WPT_M=\(workPerItemM) "
      + "-D WPT_N=\(workPerItemN) -D LOSS_WG=\(lossWorkGroup)"
  }

  /// Why this tuning cannot run on `device`, or nil when it can.
  func problem(on device: OpenCLDeviceInfo) -> String? {
    if tileM % workPerItemM != 0 || tileN % workPerItemN != 0 || tileK < 1 {
      return "tiles must be multiples of the work per item"
    }
    if lossWorkGroup < 1 || lossWorkGroup & (lossWorkGroup - 1) != 0 { return "loss work-group must be a power of two" }
    if gemmWorkGroupSize > device.maxWorkGroupSize || lossWorkGroup > device.maxWorkGroupSize {
      return "work-group larger than the device's \(device.maxWorkGroupSize)"
    }
    if UInt64(gemmLocalMemoryBytes + 8 * lossWorkGroup) > device.localMemoryBytes {
      return "needs more local memory than the device's \(device.localMemoryBytes) bytes"
    }
    return nil
  }

  /// Candidates for a device, best first. GPUs get 64x64 tiles of 256 work-items (a multiple
  /// of NVIDIA's 32 and AMD's 64 lanes) with 4x4 outputs each. CPU devices (PoCL) run a
  /// work-group as loops on one core: wide 64x128 tiles with 8x8 outputs per work-item were
  /// fastest there (3.6 GFLOP/s on conv2 against 1.0 for 32x32 tiles, PoCL 3.1, 2 cores).
  static func candidates(for device: OpenCLDeviceInfo) -> [OpenCLTuning] {
    let groups = max(8, 4 * device.computeUnits)
    let loss = device.kind == .gpu ? 256 : 64
    let gpu = [
      OpenCLTuning(tileM: 64, tileN: 64, tileK: 16, workPerItemM: 4, workPerItemN: 4),
      OpenCLTuning(tileM: 32, tileN: 64, tileK: 16, workPerItemM: 2, workPerItemN: 4),
    ]
    let cpu = [OpenCLTuning(tileM: 64, tileN: 128, tileK: 16, workPerItemM: 8, workPerItemN: 8)]
    let small = [
      OpenCLTuning(tileM: 32, tileN: 32, tileK: 8, workPerItemM: 4, workPerItemN: 4),
      OpenCLTuning(tileM: 16, tileN: 16, tileK: 8, workPerItemM: 2, workPerItemN: 2),
      OpenCLTuning(tileM: 8, tileN: 8, tileK: 4, workPerItemM: 2, workPerItemN: 2),
      OpenCLTuning(tileM: 4, tileN: 4, tileK: 4, workPerItemM: 1, workPerItemN: 1),
    ]
    return (device.kind == .gpu ? gpu + small : cpu + small).map {
      var t = $0
      t.targetWorkGroups = groups
      t.lossWorkGroup = min(loss, largestPowerOfTwo(atMost: device.maxWorkGroupSize))
      return t
    }
  }

  private static func largestPowerOfTwo(atMost n: Int) -> Int {
    var p = 1
    while p * 2 <= n { p *= 2 }
    return p
  }
}
