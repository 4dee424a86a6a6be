/// How one GEMM-like call is launched: which tiles, and into how many split-K slices.
///
/// Tiles are chosen per device (`OpenCLTuning`) and then per call shape: a call whose output
/// covers fewer work-groups than the device has compute units gets the narrow tiles (half as
/// high and half as wide: up to four times the work-groups) where they give more, and a call
/// that can split its reduction does so until the device is full. On an H200 (132 compute units, 64x64 tiles)
/// fc1's forward GEMM at batch 128 is 4 work-groups; narrow tiles and 9 slices make it 144.
/// On a CPU driver (2 compute units) every call of the network already fills the device with
/// the wide tiles, so nothing changes there.
///
/// A driver that ends loops after a number of iterations (`OpenCLLimits.loopIterations`,
/// Mesa's llvmpipe) also gets as many slices as keep each work-group's reduction within it
/// (`OpenCLTuning.longestReduction`): past it the kernel would store a partial sum.
public struct GEMMPlan: Sendable, Hashable, CustomStringConvertible {
  /// Whether the call may cut its reduction into slices summed by a second launch.
  public enum Split: Sendable {
    /// No: the kernel has no partial-sum output (conv forward and the input gradients).
    case never
    /// Weight gradients: split until about `tuning.targetWorkGroups` work-groups run, as
    /// long as each slice is at least eight k-tiles long.
    case toTarget
    /// Dense forward: split only while the call has fewer work-groups than the device has
    /// compute units, because each slice costs a pass over the output.
    case toFill
  }

  /// Whether the narrow tiles (`OpenCLTuning.narrowed`) run the call.
  public var narrow: Bool
  /// Split-K slices (1: the kernel writes the result itself, no reduce launch).
  public var slices: Int
  /// Length of each slice along the reduction, a multiple of the tiles' tileK.
  public var chunk: Int
  /// Work-groups of the GEMM launch: row tiles x column tiles x slices.
  public var workGroups: Int
  /// Whether each work-group's reduction stays within the driver's loop limit; false only
  /// for a call that may not split (`Split.never`) and is too deep, which must not run.
  public var withinLoopLimit: Bool = true

  public var description: String {
    "\(narrow ? "narrow" : "wide") tiles, \(slices) slice\(slices == 1 ? "" : "s"), \(workGroups) work-groups"
  }

  /// The plan for a `rows` x `cols` output reducing over `depth`, with `tuning`'s tiles or
  /// (when `narrowAvailable`) its narrowed ones, on a device whose driver ends loops after
  /// `loopIterations` (nil: never).
  public static func make(
    rows: Int, cols: Int, depth: Int, split: Split, tuning: OpenCLTuning, narrowAvailable: Bool,
    loopIterations: Int? = nil
  ) -> GEMMPlan {
    let fill = max(1, tuning.fillWorkGroups)
    let wide = tileCount(rows: rows, cols: cols, tuning)
    var tiles = tuning
    var narrow = false
    if wide < fill, narrowAvailable, let narrowed = tuning.narrowed,
      tileCount(rows: rows, cols: cols, narrowed) > wide
    {
      tiles = narrowed
      narrow = true
    }
    let count = tileCount(rows: rows, cols: cols, tiles)
    let longest = max(1, depth / (8 * tiles.tileK))
    let wanted: Int
    switch split {
    case .never: wanted = 1
    case .toTarget: wanted = min(256, tuning.targetWorkGroups / count, longest)
    case .toFill: wanted = count >= fill ? 1 : min(256, (fill + count - 1) / count, longest)
    }
    let kTiles = (depth + tiles.tileK - 1) / tiles.tileK
    let allowed = loopIterations.map { tiles.longestReduction(within: $0) } ?? kTiles
    let needed = split == .never ? 1 : (kTiles + allowed - 1) / max(1, allowed)
    let slices = max(1, wanted, needed)
    let chunk = max(tiles.tileK, ((depth + slices - 1) / slices + tiles.tileK - 1) / tiles.tileK * tiles.tileK)
    let used = max(1, (depth + chunk - 1) / chunk)
    var plan = GEMMPlan(narrow: narrow, slices: used, chunk: chunk, workGroups: count * used)
    plan.withinLoopLimit = chunk / tiles.tileK <= allowed
    return plan
  }

  static func tileCount(rows: Int, cols: Int, _ t: OpenCLTuning) -> Int {
    ((rows + t.tileM - 1) / t.tileM) * ((cols + t.tileN - 1) / t.tileN)
  }
}
