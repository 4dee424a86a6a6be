/// The GEMM micro-kernel: a 6x16 block of C held in six `PanelRow`s (twelve ymm registers of
/// AVX2's 16, or six zmm registers of AVX-512's 32), updated by one rank-1 product per reduction step: 6 broadcasts of A times 16 values of B.
///
/// Letters: row i (0..<6) of the tile is an output row, lane j (0..<16) an output column,
/// p the reduction index. A (the broadcast operand) is read element by element, so it can
/// live anywhere: at `a + rowOffset[i] + p * step` or `a + rowOffset[i] + table[p]` (the
/// table form reads an image through im2col offsets without building the im2col matrix).
/// B (the vector operand) is 16 contiguous floats per step at `b + p * bStep`.
struct Tile {
  var c0 = PanelRow(), c1 = PanelRow(), c2 = PanelRow(), c3 = PanelRow(), c4 = PanelRow(), c5 = PanelRow()
}

/// Offsets (in floats) of the tile's six A rows.
struct RowOffsets {
  var r0: Int, r1: Int, r2: Int, r3: Int, r4: Int, r5: Int

  /// Rows `first ..< first + count` (count <= 6) at `offset(i)`; missing rows repeat the
  /// first one, so they read valid memory and are simply not stored.
  @inline(__always)
  init(first: Int, count: Int, _ offset: (Int) -> Int) {
    let o0 = offset(first)
    r0 = o0
    r1 = count > 1 ? offset(first + 1) : o0
    r2 = count > 2 ? offset(first + 2) : o0
    r3 = count > 3 ? offset(first + 3) : o0
    r4 = count > 4 ? offset(first + 4) : o0
    r5 = count > 5 ? offset(first + 5) : o0
  }
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
  UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
  UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

extension Tile {
  /// One reduction step: the tile += a (6 scalars at `pa + r.rI`) x b (one row of B's panel).
  @inline(__always)
  mutating func step(_ pa: UnsafePointer<Float>, _ r: RowOffsets, _ b: PanelRow) {
    c0 = c0.adding(b, times: pa[r.r0])
    c1 = c1.adding(b, times: pa[r.r1])
    c2 = c2.adding(b, times: pa[r.r2])
    c3 = c3.adding(b, times: pa[r.r3])
    c4 = c4.adding(b, times: pa[r.r4])
    c5 = c5.adding(b, times: pa[r.r5])
  }

  /// sum over p < kc of A[i, p] * B[p, j], A[i, p] at `a + r.rI + p * aStep`.
  @inline(__always)
  static func strided(
    _ kc: Int, _ a: UnsafePointer<Float>, _ r: RowOffsets, _ aStep: Int,
    _ b: UnsafePointer<Float>, _ bStep: Int
  ) -> Tile {
    var t = Tile()
    var pa = a, pb = b
    for _ in 0..<kc {
      t.step(pa, r, PanelRow(pb))
      pa += aStep
      pb += bStep
    }
    return t
  }

  /// sum over p < kc of A[i, p] * B[p, j], A[i, p] at `a + r.rI + table[p]`.
  @inline(__always)
  static func tabled(
    _ kc: Int, _ a: UnsafePointer<Float>, _ r: RowOffsets, _ table: UnsafePointer<Int32>,
    _ b: UnsafePointer<Float>, _ bStep: Int
  ) -> Tile {
    var t = Tile()
    var pb = b
    for p in 0..<kc {
      t.step(a + Int(table[p]), r, PanelRow(pb))
      pb += bStep
    }
    return t
  }
}
