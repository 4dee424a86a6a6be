/// Launch shapes for the GEMM kernels of gemm.cl, conv2d.cl and dense.cl, planned per call
/// shape (`GEMMPlan`): the device's tiles, or its narrow tiles for calls too small to fill it.
extension OpenCLBackend {
  /// A planned GEMM call: the plan, the kernels built with its tiles, and the global and
  /// local sizes of its launch.
  struct GEMMLaunch {
    let plan: GEMMPlan
    let kernels: CLKernels
    let global: [Int]
    let local: [Int]
  }

  /// Plans a `rows` x `cols` output reducing over `depth`. Narrow tiles are used only when
  /// their kernels could be built (`narrowKernels`); otherwise the call keeps the wide ones.
  func gemmLaunch(rows: Int, cols: Int, depth: Int, split: GEMMPlan.Split) -> GEMMLaunch {
    var plan = GEMMPlan.make(
      rows: rows, cols: cols, depth: depth, split: split, tuning: tuning, narrowAvailable: tuning.narrowed != nil)
    var chosen = kernels
    if plan.narrow {
      if let narrow = narrowKernels {
        chosen = narrow
      } else {
        plan = GEMMPlan.make(
          rows: rows, cols: cols, depth: depth, split: split, tuning: tuning, narrowAvailable: false)
      }
    }
    let t = plan.narrow ? tuning.narrowed! : tuning
    let local = [t.tileN / t.workPerItemN, t.tileM / t.workPerItemM, 1]
    let global = [
      (cols + t.tileN - 1) / t.tileN * local[0], (rows + t.tileM - 1) / t.tileM * local[1], plan.slices,
    ]
    return GEMMLaunch(plan: plan, kernels: chosen, global: global, local: local)
  }

  /// Runs a GEMM kernel as planned.
  func launch(_ name: CLKernels.Name, _ gemm: GEMMLaunch, arguments: [CLArg]) {
    launch(name, global: gemm.global, local: gemm.local, on: gemm.kernels, arguments: arguments)
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
    let gemm = gemmLaunch(rows: rows, cols: cols, depth: depth, split: .toTarget)
    let slices = gemm.plan.slices
    if slices == 1 {
      launch(kernel, gemm, arguments: arguments(dw, gemm.plan.chunk) + [.mem(dw.mem), .mem(db.mem), .int(1)])
      return
    }
    let partial = scratchBuffer(count: slices * rows * cols)
    launch(kernel, gemm, arguments: arguments(partial, gemm.plan.chunk) + [.mem(dw.mem), .mem(db.mem), .int(0)])
    launchReduce(
      .gemmReduceSplitK, elements: rows * cols, slices: slices,
      arguments: [.mem(partial.mem), .mem(dw.mem), .mem(db.mem), .int(rows), .int(cols), .int(slices)])
  }
}
