/// What happens to a finished tile on its way to C: C = [C +] tile [+ bias[j]], then
/// max(0, .) if `relu`.
struct TileEpilogue {
  var accumulate: Bool
  var relu: Bool
  /// Bias of the tile's 16 columns (zero past the last column), or nil.
  var bias: (SIMD8<Float>, SIMD8<Float>)?
}

extension Tile {
  /// Writes rows 0..<rows, columns 0..<cols of the tile to C, element (i, j) at
  /// `c + i * rowStride + j * colStride`. `spill` is 96 floats of scratch for the
  /// element-by-element path (partial tiles, or C columns that are not contiguous).
  @inline(__always)
  func store(
    to c: UnsafeMutablePointer<Float>, rowStride: Int, colStride: Int, rows: Int, cols: Int,
    _ e: TileEpilogue, spill: UnsafeMutablePointer<Float>
  ) {
    var t = self
    if let bias = e.bias {
      let (b0, b1) = bias
      t.c00 += b0; t.c01 += b1; t.c10 += b0; t.c11 += b1; t.c20 += b0; t.c21 += b1
      t.c30 += b0; t.c31 += b1; t.c40 += b0; t.c41 += b1; t.c50 += b0; t.c51 += b1
    }
    if colStride == 1 && cols == 16 {
      @inline(__always) func row(_ i: Int, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>) {
        let p = c + i * rowStride
        var lo = lo, hi = hi
        if e.accumulate {
          lo += load8(p)
          hi += load8(p + 8)
        }
        if e.relu {
          lo = lo.replacing(with: 0, where: lo .< 0)
          hi = hi.replacing(with: 0, where: hi .< 0)
        }
        store8(lo, p)
        store8(hi, p + 8)
      }
      row(0, t.c00, t.c01)
      if rows > 1 { row(1, t.c10, t.c11) }
      if rows > 2 { row(2, t.c20, t.c21) }
      if rows > 3 { row(3, t.c30, t.c31) }
      if rows > 4 { row(4, t.c40, t.c41) }
      if rows > 5 { row(5, t.c50, t.c51) }
      return
    }
    store8(t.c00, spill); store8(t.c01, spill + 8)
    store8(t.c10, spill + 16); store8(t.c11, spill + 24)
    store8(t.c20, spill + 32); store8(t.c21, spill + 40)
    store8(t.c30, spill + 48); store8(t.c31, spill + 56)
    store8(t.c40, spill + 64); store8(t.c41, spill + 72)
    store8(t.c50, spill + 80); store8(t.c51, spill + 88)
    for j in 0..<cols {
      let column = c + j * colStride
      for i in 0..<rows {
        var v = spill[i * 16 + j]
        if e.accumulate { v += column[i * rowStride] }
        if e.relu { v = v < 0 ? 0 : v }
        column[i * rowStride] = v
      }
    }
  }
}
