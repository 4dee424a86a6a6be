/// What happens to a finished tile on its way to C: C = [C +] tile [+ bias[j]], then
/// max(0, .) if `relu`.
struct TileEpilogue {
  var accumulate: Bool
  var relu: Bool
  /// Bias of the tile's 16 columns (zero past the last column), or nil.
  var bias: PanelRow?
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
      t.c0 = t.c0 + bias
      t.c1 = t.c1 + bias
      t.c2 = t.c2 + bias
      t.c3 = t.c3 + bias
      t.c4 = t.c4 + bias
      t.c5 = t.c5 + bias
    }
    if colStride == 1 && cols == 16 {
      @inline(__always) func row(_ i: Int, _ v: PanelRow) {
        let p = c + i * rowStride
        var v = v
        if e.accumulate { v = v + PanelRow(p) }
        if e.relu { v = v.clampedAtZero }
        v.store(p)
      }
      row(0, t.c0)
      if rows > 1 { row(1, t.c1) }
      if rows > 2 { row(2, t.c2) }
      if rows > 3 { row(3, t.c3) }
      if rows > 4 { row(4, t.c4) }
      if rows > 5 { row(5, t.c5) }
      return
    }
    t.c0.store(spill)
    t.c1.store(spill + 16)
    t.c2.store(spill + 32)
    t.c3.store(spill + 48)
    t.c4.store(spill + 64)
    t.c5.store(spill + 80)
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
