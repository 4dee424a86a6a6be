/// A read-only view of a Float32 matrix: element (i, j) at `base[i * rowStride + j * columnStride]`.
/// A transposed matrix is the same memory with the strides swapped.
public struct MatrixView {
  public var base: UnsafePointer<Float>
  public var rows: Int
  public var columns: Int
  public var rowStride: Int
  public var columnStride: Int

  public init(_ base: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int, columnStride: Int = 1) {
    (self.base, self.rows, self.columns, self.rowStride, self.columnStride) = (
      base, rows, columns, rowStride, columnStride
    )
  }

  /// The transpose, without copying.
  public var transposed: MatrixView {
    MatrixView(base, rows: columns, columns: rows, rowStride: columnStride, columnStride: rowStride)
  }
}

/// A writable view of a Float32 matrix: element (i, j) at `base[i * rowStride + j * columnStride]`.
public struct MutableMatrixView {
  public var base: UnsafeMutablePointer<Float>
  public var rows: Int
  public var columns: Int
  public var rowStride: Int
  public var columnStride: Int

  public init(_ base: UnsafeMutablePointer<Float>, rows: Int, columns: Int, rowStride: Int, columnStride: Int = 1) {
    (self.base, self.rows, self.columns, self.rowStride, self.columnStride) = (
      base, rows, columns, rowStride, columnStride
    )
  }
}
