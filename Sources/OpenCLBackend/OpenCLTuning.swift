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
  /// A GEMM call with fewer work-groups than this (the device's compute units) takes the
  /// narrow tiles and, where it can, split-K (`GEMMPlan`). 1 keeps every call on these tiles.
  public var fillWorkGroups: Int

  public init(
    tileM: Int, tileN: Int, tileK: Int, workPerItemM: Int, workPerItemN: Int,
    lossWorkGroup: Int = 64, targetWorkGroups: Int = 8, fillWorkGroups: Int = 1
  ) {
    self.tileM = tileM
    self.tileN = tileN
    self.tileK = tileK
    self.workPerItemM = workPerItemM
    self.workPerItemN = workPerItemN
    self.lossWorkGroup = lossWorkGroup
    self.targetWorkGroups = targetWorkGroups
    self.fillWorkGroups = fillWorkGroups
  }

  /// The tiles for calls too small to fill the device: half as high and half as wide, the
  /// same outputs per work-item (a quarter of the work-items), tileK cut to the work-group
  /// if need be; nil when the tiles cannot be halved.
  public var narrowed: OpenCLTuning? {
    var t = self
    t.tileM /= 2
    t.tileN /= 2
    guard t.tileM >= workPerItemM, t.tileN >= workPerItemN, t.tileM % workPerItemM == 0, t.tileN % workPerItemN == 0
    else { return nil }
    t.tileK = min(tileK, t.gemmWorkGroupSize)
    t.fillWorkGroups = 1
    return t
  }

  /// The most k-tiles one GEMM work-group may reduce over on a driver that ends a
  /// work-item's loops after `loopIterations` iterations in all (`OpenCLLimits`). A k-tile
  /// of gemm.cl's GEMM_TILE_LOOP runs, per work-item, one step of the k loop, its share of
  /// the two tile loads, and TS_K steps of the multiply loop with its WPT_N-long and
  /// WPT_M x WPT_N-long inner loops, counted as if no compiler unrolled any of them. That is
  /// an estimate, not a bound: llvmpipe ran a third of it with 4x4 outputs a work-item
  /// (unrolled) and 5% more with 8x8 (dense_forward, 32x64 tiles, stopped between 45 and
  /// 48 k-tiles against 48.7 estimated). So only half the limit is planned for.
  public func longestReduction(within loopIterations: Int) -> Int {
    let group = gemmWorkGroupSize
    let loads = (tileM * tileK + group - 1) / group + (tileN * tileK + group - 1) / group
    let perKTile = 1 + loads + tileK * (1 + workPerItemN + workPerItemM * (1 + workPerItemN))
    return max(1, loopIterations / 2 / perKTile)
  }

  /// Work-items in one GEMM work-group.
  public var gemmWorkGroupSize: Int { (tileM / workPerItemM) * (tileN / workPerItemN) }
  /// Local memory one GEMM work-group uses, in bytes: the two padded tiles plus the conv
  /// kernels' index tables (at most 3 ints a tile column and 4 a k-row).
  public var gemmLocalMemoryBytes: Int { 4 * tileK * (tileM + tileN + 2) + 4 * (3 * tileN + 4 * tileK) }

  public var description: String {
    "tiles \(tileM)x\(tileN)x\(tileK), \(workPerItemM)x\(workPerItemN) per work-item"
  }

  var buildOptions: String {
    "-D TS_M=\(tileM) -D TS_N=\(tileN) -D TS_K=\(tileK) -D WPT_M=\(workPerItemM) "
      + "-D WPT_N=\(workPerItemN) -D LOSS_WG=\(lossWorkGroup)"
  }

  /// Why this tuning cannot run within `limits` (the device's, or smaller ones asked for),
  /// or nil when it can. Unknown limits count as `OpenCLLimits.smallestGPU`'s.
  func problem(within limits: OpenCLLimits) -> String? {
    if tileM % workPerItemM != 0 || tileN % workPerItemN != 0 || tileK < 1 {
      return "tiles must be multiples of the work per item"
    }
    if lossWorkGroup < 1 || lossWorkGroup & (lossWorkGroup - 1) != 0 { return "loss work-group must be a power of two" }
    if tileK > gemmWorkGroupSize {
      return "tileK must not exceed the GEMM work-group (the conv tables fill one row per work-item)"
    }
    let group = limits.usableWorkGroupSize
    if gemmWorkGroupSize > group || lossWorkGroup > group {
      return "work-group larger than the device's \(group)"
    }
    if tileN / workPerItemN > limits.usableWorkItems(dimension: 0)
      || tileM / workPerItemM > limits.usableWorkItems(dimension: 1)
      || lossWorkGroup > limits.usableWorkItems(dimension: 0)
    {
      return "work-group wider than the device's work-item sizes \(limits.maxWorkItemSizes ?? [])"
    }
    if UInt64(max(gemmLocalMemoryBytes, 8 * lossWorkGroup)) > limits.usableLocalMemoryBytes {
      return "needs more local memory than the device's \(limits.usableLocalMemoryBytes) bytes"
    }
    return nil
  }

  /// Why this tuning cannot run with kernels built for it, given each kernel's own
  /// CL_KERNEL_WORK_GROUP_SIZE and CL_KERNEL_LOCAL_MEM_SIZE (nil: the query failed), or nil.
  func problem(kernelWorkGroupSizes gemm: Int?, loss: Int?, localMemoryBytes: UInt64?, within limits: OpenCLLimits)
    -> String?
  {
    if let gemm, gemmWorkGroupSize > gemm {
      return "the GEMM kernels take at most \(gemm) work-items a group here, the tiles need \(gemmWorkGroupSize)"
    }
    if let loss, lossWorkGroup > loss {
      return "the loss kernel takes at most \(loss) work-items a group here, the tuning needs \(lossWorkGroup)"
    }
    if let localMemoryBytes, localMemoryBytes > limits.usableLocalMemoryBytes {
      return "the kernels use \(localMemoryBytes) bytes of local memory, more than \(limits.usableLocalMemoryBytes)"
    }
    return nil
  }

  /// Candidates for a device, best first. GPUs get 64x64 tiles of 256 work-items (a multiple
  /// of NVIDIA's 32 and AMD's 64 lanes) with 4x4 outputs each. CPU devices (PoCL) run a
  /// work-group as loops on one core: wide 64x128 tiles with 8x8 outputs per work-item were
  /// fastest there (3.6 GFLOP/s on conv2 against 1.0 for 32x32 tiles, PoCL 3.1, 2 cores).
  /// Mesa's rusticl on llvmpipe takes at most 32 work-items for these kernels
  /// (CL_KERNEL_WORK_GROUP_SIZE 32): 16x32 tiles with 4x4 outputs fill that. (32x64 tiles
  /// with 8x8 outputs would too, but their k-tiles run about three times as many loop
  /// iterations, so llvmpipe's loop limit cuts their reductions into more slices.)
  static func candidates(for device: OpenCLDeviceInfo, within limits: OpenCLLimits) -> [OpenCLTuning] {
    let groups = max(8, 4 * device.computeUnits)
    let loss = device.kind == .gpu ? 256 : 64
    let gpu = [
      OpenCLTuning(tileM: 64, tileN: 64, tileK: 16, workPerItemM: 4, workPerItemN: 4),
      OpenCLTuning(tileM: 32, tileN: 64, tileK: 16, workPerItemM: 2, workPerItemN: 4),
    ]
    let cpu = [
      OpenCLTuning(tileM: 64, tileN: 128, tileK: 16, workPerItemM: 8, workPerItemN: 8),
      OpenCLTuning(tileM: 16, tileN: 32, tileK: 16, workPerItemM: 4, workPerItemN: 4),
    ]
    let small = [
      OpenCLTuning(tileM: 32, tileN: 32, tileK: 8, workPerItemM: 4, workPerItemN: 4),
      OpenCLTuning(tileM: 16, tileN: 16, tileK: 8, workPerItemM: 2, workPerItemN: 2),
      OpenCLTuning(tileM: 8, tileN: 8, tileK: 4, workPerItemM: 2, workPerItemN: 2),
      OpenCLTuning(tileM: 4, tileN: 4, tileK: 4, workPerItemM: 1, workPerItemN: 1),
    ]
    let widest = min(limits.usableWorkGroupSize, limits.usableWorkItems(dimension: 0))
    return (device.kind == .gpu ? gpu + small : cpu + small).map {
      var t = $0
      t.targetWorkGroups = groups
      t.fillWorkGroups = device.computeUnits
      t.lossWorkGroup = min(loss, largestPowerOfTwo(atMost: widest))
      return t
    }
  }

  static func largestPowerOfTwo(atMost n: Int) -> Int {
    var p = 1
    while p * 2 <= n { p *= 2 }
    return p
  }
}
