/// Launch shapes for the GEMM kernels of gemm.cl, conv2d.cl and dense.cl.
extension OpenCLBackend {
  /// Global and local sizes for a `rows` x `cols` output in gemm.cl's tiles, `slices` deep.
  func gemmGrid(rows: Int, cols: Int, slices: Int = 1) -> (global: [Int], local: [Int]) {
    let t = tuning
    let local = [t.tileN / t.workPerItemN, t.tileM / t.workPerItemM, 1]
    let global = [
      (cols + t.tileN - 1) / t.tileN * local[0], (rows + t.tileM - 1) / t.tileM * local[1], slices,
    ]
    return (global, local)
  }

  /// How to cut a reduction of `depth` for a `rows` x `cols` output into slices so that about
  /// `tuning.targetWorkGroups` work-groups run, each slice at least eight k-tiles long (so
  /// the dense layers at batch 128 run as one slice and skip the reduce launch); `chunk`
  /// (a multiple of tileK) is each slice's length.
  func splitK(rows: Int, cols: Int, depth: Int) -> (slices: Int, chunk: Int) {
    let t = tuning
    let tiles = ((rows + t.tileM - 1) / t.tileM) * ((cols + t.tileN - 1) / t.tileN)
    let wanted = max(1, min(256, t.targetWorkGroups / max(1, tiles), depth / (8 * t.tileK)))
    let chunk = ((depth + wanted - 1) / wanted + t.tileK - 1) / t.tileK * t.tileK
    return (max(1, (depth + chunk - 1) / chunk), max(chunk, t.tileK))
  }

  /// Runs a weight-gradient kernel (conv2d_backward_weight or dense_backward_weight) whose
  /// output is [rows, cols] with the bias gradient in the last column, split along `depth`
  /// into scratch partials, then sums the slices into `dw` [rows, cols-1] and `db` [rows].
  /// `arguments(partial, chunk)` gives the kernel's arguments before dw, db and `direct`.
  /// With one slice the kernel writes dw and db itself: one launch instead of two.
  func weightGradient(
    _ kernel: CLKernels.Name, rows: Int, cols: Int, depth: Int, dw: CLBuffer, db: CLBuffer,
    arguments: (CLBuffer, Int) -> [CLArg]
  ) {
    let (slices, chunk) = splitK(rows: rows, cols: cols, depth: depth)
    let grid = gemmGrid(rows: rows, cols: cols, slices: slices)
    if slices == 1 {
      launch(
        kernel, global: grid.global, local: grid.local,
        arguments: arguments(dw, chunk) + [.mem(dw.mem), .mem(db.mem), .int(1)])
      return
    }
    let partial = scratchBuffer(count: slices * rows * cols)
    launch(
      kernel, global: grid.global, local: grid.local,
      arguments: arguments(partial, chunk) + [.mem(dw.mem), .mem(db.mem), .int(0)])
    launch(
      .gemmReduceSplitK, elements: rows * cols, .mem(partial.mem), .mem(dw.mem), .mem(db.mem),
      .int(rows), .int(cols), .int(slices))
  }
}
