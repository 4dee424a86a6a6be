import CPUKernelInterface

extension SIMDBackend {
  /// C[M,N] = A[M,K] * B[K,N] (+ C if `accumulate`) (+ bias[j] per column), then max(0, .)
  /// if `relu`. Float32 accumulation in a fixed order: the same inputs and thread count give
  /// bit-identical results. Runs on the backend's threads for big enough problems.
  public func gemm(
    _ a: MatrixView, _ b: MatrixView, into c: MutableMatrixView,
    accumulate: Bool = false, bias: UnsafePointer<Float>? = nil, relu: Bool = false
  ) {
    precondition(a.columns == b.rows && c.rows == a.rows && c.columns == b.columns, "gemm: shapes do not match")
    var job = GEMMJob(m: a.rows, n: b.columns, k: a.columns, a: a.base, b: b.base, c: c.base)
    job.aRowStride = a.rowStride
    job.aColStride = a.columnStride
    job.bRowStride = b.rowStride
    job.bColStride = b.columnStride
    job.cRowStride = c.rowStride
    job.cColStride = c.columnStride
    job.accumulate = accumulate
    job.bias = bias
    job.relu = relu
    run(job)
  }

  /// Runs a GEMM job split over the backend's threads: by column panels when there are
  /// enough of them (each thread packs only its own panels), else by row tiles.
  /// NOTE: may take the shared workspace scratch (to pack a transposed A): callers must not
  /// hold shared scratch across this call.
  func run(_ job: GEMMJob) {
    if job.m == 0 || job.n == 0 { return }
    var packedJob = job
    if job.aRowTable == nil && job.aColTable == nil && job.aColStride != 1 && job.m * job.k >= 4096 {
      let packed = workspace.floats(job.mTiles * 6 * job.k), table = workspace.ints(job.m)
      GEMMJob.packRowPanels(
        job.a, m: job.m, k: job.k, rowStride: job.aRowStride, colStride: job.aColStride,
        into: packed, rowTable: table)
      packedJob.a = UnsafePointer(packed)
      packedJob.aRowTable = UnsafePointer(table)
      packedJob.aColStride = 6
    }
    let scratch = workspace.perThreadFloats(GEMMJob.scratchFloats)
    // NOTE: a `var` captured by the parallel closure is boxed on the heap: capture a `let`.
    let job = packedJob, panels = job.panels, tiles = job.mTiles
    let parts = workers(items: panels * tiles, flopsEach: 2 * 96 * max(job.k, 1))
    parallel(parts) { t in
      let s = scratch.base + t * scratch.stride
      if panels >= parts {
        job.run(mTiles: 0..<tiles, panels: SIMDBackend.share(panels, t, parts), scratch: s)
      } else {
        job.run(mTiles: SIMDBackend.share(tiles, t, parts), panels: 0..<panels, scratch: s)
      }
    }
  }
}

/// One matrix product C[m,n] (+)= A[m,k] * B[k,n], with the operand addressing the CPU ops
/// need (see `Tile`). Rows of C go in tiles of 6, columns in panels of 16, the reduction in
/// blocks of at most `kcMax` steps so a B panel stays in L1.
struct GEMMJob {
  var m: Int, n: Int, k: Int
  /// A[i, p] at a + rowOffset(i) + colOffset(p); each offset from its table when given,
  /// else from its stride.
  var a: UnsafePointer<Float>
  var aRowStride = 0, aColStride = 0
  var aRowTable: UnsafePointer<Int32>? = nil
  var aColTable: UnsafePointer<Int32>? = nil
  /// B[p, j] at b + p * bRowStride + j * bColStride, or, when `bPacked`, in ready-made
  /// panels: panel q holds B[p, 16q + l] at b + (q * k + p) * 16 + l, zero past column n.
  var b: UnsafePointer<Float>
  var bRowStride = 0, bColStride = 1
  var bPacked = false
  /// C[i, j] at c + i * cRowStride + j * cColStride.
  var c: UnsafeMutablePointer<Float>
  var cRowStride = 0, cColStride = 1
  var accumulate = false
  /// Added to every row of C (one value per column).
  var bias: UnsafePointer<Float>? = nil
  var relu = false

  init(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
    (self.m, self.n, self.k, self.a, self.b, self.c) = (m, n, k, a, b, c)
  }

  static let kcMax = 384
  /// Scratch one thread needs: a packed B panel and the tile spill area.
  static let scratchFloats = kcMax * 16 + 96

  var mTiles: Int { (m + 5) / 6 }
  var panels: Int { (n + 15) / 16 }

  /// Computes the row tiles `mTiles` x column panels `panels` of C on the calling thread.
  func run(mTiles: Range<Int>, panels: Range<Int>, scratch: UnsafeMutablePointer<Float>) {
    if mTiles.isEmpty || panels.isEmpty { return }
    let blocks = max(1, (k + Self.kcMax - 1) / Self.kcMax)
    for block in 0..<blocks {
      let k0 = k * block / blocks, kc = k * (block + 1) / blocks - k0
      for q in panels {
        let b = panel(q, k0: k0, kc: kc, scratch: scratch)
        for it in mTiles { tile(it, q, k0: k0, kc: kc, block: block, blocks: blocks, b: b, scratch: scratch) }
      }
    }
  }

  /// One 6x16 tile of C: row tile `it`, column panel `q`, reduction block k0..<k0+kc of
  /// `blocks`, with B's panel at `b` (pointer, step).
  @inline(__always)
  func tile(
    _ it: Int, _ q: Int, k0: Int, kc: Int, block: Int, blocks: Int, b: (UnsafePointer<Float>, Int),
    scratch: UnsafeMutablePointer<Float>
  ) {
    let m0 = it * 6, rows = min(6, m - m0), n0 = q * 16, cols = min(16, n - n0)
    var e = TileEpilogue(accumulate: accumulate || block > 0, relu: relu && block == blocks - 1, bias: nil)
    if block == 0, let bias { e.bias = Self.loadBias(bias + n0, cols) }
    let r = RowOffsets(first: m0, count: rows) { i in
      if let t = aRowTable { return Int(t[i]) }
      return i * aRowStride
    }
    let t: Tile
    if let aColTable {
      t = Tile.tabled(kc, a, r, aColTable + k0, b.0, b.1)
    } else {
      t = Tile.strided(kc, a + k0 * aColStride, r, aColStride, b.0, b.1)
    }
    t.store(
      to: c + m0 * cRowStride + n0 * cColStride, rowStride: cRowStride, colStride: cColStride,
      rows: rows, cols: cols, e, spill: scratch + Self.kcMax * 16)
  }

  /// Where reduction rows k0..<k0+kc of B's panel q are, 16 contiguous floats a step: in B
  /// itself when its rows are contiguous and the panel is whole, else packed into `scratch`.
  @inline(__always)
  func panel(_ q: Int, k0: Int, kc: Int, scratch: UnsafeMutablePointer<Float>) -> (UnsafePointer<Float>, Int) {
    let n0 = q * 16, cols = min(16, n - n0)
    if bPacked { return (b + (q * k + k0) * 16, 16) }
    if bColStride == 1 && cols == 16 { return (b + k0 * bRowStride + n0, bRowStride) }
    for p in 0..<kc {
      let src = b + (k0 + p) * bRowStride + n0 * bColStride, dst = scratch + p * 16
      for j in 0..<cols { dst[j] = src[j * bColStride] }
      for j in cols..<16 { dst[j] = 0 }
    }
    return (UnsafePointer(scratch), 16)
  }

  /// Packs A[m, k] (element (i, p) at a[i * rowStride + p * colStride]) into row panels, 6
  /// rows contiguous per reduction step: row i, step p at packed[(i/6 * k + p) * 6 + i%6],
  /// missing rows of the last panel zero. Fills `rowTable` (m entries) so a job reads the
  /// panels with `aRowTable = rowTable, aColStride = 6`. For a transposed A, whose six
  /// broadcasts per step would otherwise touch six cache lines far apart.
  static func packRowPanels(
    _ a: UnsafePointer<Float>, m: Int, k: Int, rowStride: Int, colStride: Int,
    into packed: UnsafeMutablePointer<Float>, rowTable: UnsafeMutablePointer<Int32>
  ) {
    for tile in 0..<((m + 5) / 6) {
      let dst = packed + tile * k * 6, rows = min(6, m - tile * 6)
      for p in 0..<k {
        let src = a + tile * 6 * rowStride + p * colStride
        for j in 0..<6 { dst[p * 6 + j] = j < rows ? src[j * rowStride] : 0 }
      }
      for j in 0..<rows { rowTable[tile * 6 + j] = Int32(tile * k * 6 + j) }
    }
  }

  @inline(__always)
  static func loadBias(_ p: UnsafePointer<Float>, _ cols: Int) -> PanelRow {
    if cols == 16 { return PanelRow(p) }
    var row = PanelRow()
    for j in 0..<cols { row[j] = p[j] }
    return row
  }
}
