/// What a device (and each kernel built for it) allows, as the driver reports it. A query
/// that fails is nil, "unknown", never zero: an unknown limit is replaced by the smallest
/// value real GPUs report (`assumed`), so a broken query makes the tiles smaller, not invalid.
/// The loop limit is the exception: no query reports it, the backend measures it
/// (`OpenCLBackend.init`), and nil there means none was found.
public struct OpenCLLimits: Sendable, Hashable, CustomStringConvertible {
  /// CL_DEVICE_LOCAL_MEM_SIZE.
  public var localMemoryBytes: UInt64?
  /// CL_DEVICE_MAX_WORK_GROUP_SIZE.
  public var maxWorkGroupSize: Int?
  /// CL_DEVICE_MAX_WORK_ITEM_SIZES (one per dimension).
  public var maxWorkItemSizes: [Int]?
  /// CL_DEVICE_MAX_MEM_ALLOC_SIZE: the largest single buffer.
  public var maxAllocationBytes: UInt64?
  /// The loop iterations a work-item may run in all, over every loop of a kernel, before the
  /// driver ends them early without an error: Mesa's llvmpipe (under rusticl or Clover)
  /// stops at 65535 (gallivm's LP_MAX_TGSI_LOOP_ITERATIONS, one counter shared by every
  /// loop of a shader). GEMM plans keep each work-group's reduction within it. nil: no limit.
  public var loopIterations: Int?

  public init(
    localMemoryBytes: UInt64? = nil, maxWorkGroupSize: Int? = nil, maxWorkItemSizes: [Int]? = nil,
    maxAllocationBytes: UInt64? = nil, loopIterations: Int? = nil
  ) {
    self.localMemoryBytes = localMemoryBytes
    self.maxWorkGroupSize = maxWorkGroupSize
    self.maxWorkItemSizes = maxWorkItemSizes
    self.maxAllocationBytes = maxAllocationBytes
    self.loopIterations = loopIterations
  }

  /// The smallest limits of the GPUs this backend targets: 16 KiB of local memory (older
  /// Intel and ARM parts; NVIDIA and AMD have 48-64 KiB) and 256 work-items a group (AMD's
  /// default cap). Also what an unknown limit is taken to be.
  public static let smallestGPU = OpenCLLimits(
    localMemoryBytes: 16 * 1024, maxWorkGroupSize: 256, maxWorkItemSizes: [256, 256, 64],
    maxAllocationBytes: 128 * 1024 * 1024)

  /// Local memory to plan with (known or assumed).
  public var usableLocalMemoryBytes: UInt64 { localMemoryBytes ?? Self.smallestGPU.localMemoryBytes! }
  /// Work-group size to plan with (known or assumed).
  public var usableWorkGroupSize: Int { maxWorkGroupSize ?? Self.smallestGPU.maxWorkGroupSize! }
  /// Work-items allowed along dimension `d` of a group (known or assumed).
  public func usableWorkItems(dimension d: Int) -> Int {
    if let sizes = maxWorkItemSizes, d < sizes.count { return sizes[d] }
    return Self.smallestGPU.maxWorkItemSizes![d]
  }

  /// Each limit the smaller of the two, for running as if on a smaller device (tests).
  public func capped(by other: OpenCLLimits) -> OpenCLLimits {
    func least<T: Comparable>(_ a: T?, _ b: T?) -> T? { a.flatMap { a in b.map { min(a, $0) } ?? a } ?? b }
    var sizes = maxWorkItemSizes
    if let theirs = other.maxWorkItemSizes {
      sizes = (0..<3).map { d in least(sizes.flatMap { d < $0.count ? $0[d] : nil }, theirs[d]) ?? theirs[d] }
    }
    return OpenCLLimits(
      localMemoryBytes: least(localMemoryBytes, other.localMemoryBytes),
      maxWorkGroupSize: least(maxWorkGroupSize, other.maxWorkGroupSize), maxWorkItemSizes: sizes,
      maxAllocationBytes: least(maxAllocationBytes, other.maxAllocationBytes),
      loopIterations: least(loopIterations, other.loopIterations))
  }

  public var description: String {
    func show<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "unknown" }
    return "local memory \(show(localMemoryBytes)) bytes, work-group \(show(maxWorkGroupSize)), "
      + "work-items \(show(maxWorkItemSizes)), allocation \(show(maxAllocationBytes)) bytes"
      + (loopIterations.map { ", loops end after \($0) iterations" } ?? "")
  }
}
