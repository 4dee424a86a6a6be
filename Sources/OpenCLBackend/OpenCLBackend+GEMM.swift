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
      rows: rows, cols: cols, depth: depth, split: split, tuning: tuning, narrowAvailable: tuning.narrowed != nil,
      loopIterations: limits.loopIterations)
    var chosen = kernels
    if plan.narrow {
      if let narrow = narrowKernels {
        chosen = narrow
      } else {
        plan = GEMMPlan.make(
          rows: rows, cols: cols, depth: depth, split: split, tuning: tuning, narrowAvailable: false,
          loopIterations: limits.loopIterations)
      }
    }
    let t = plan.narrow ? tuning.narrowed! : tuning
    let local = [t.tileN / t.workPerItemN, t.tileM / t.workPerItemM, 1]
    let global = [
      (cols + t.tileN - 1) / t.tileN * local[0], (rows + t.tileM - 1) / t.tileM * local[1], plan.slices,
    ]
    return GEMMLaunch(plan: plan, kernels: chosen, global: global, local: local)
  }

  /// Runs a GEMM kernel as planned; a plan past the driver's loop limit (a reduction that
  /// may not split) is a fault instead, as the kernel would store partial sums.
  func launch(_ name: CLKernels.Name, _ gemm: GEMMLaunch, arguments: [CLArg]) {
    guard gemm.plan.withinLoopLimit else {
      let limit = limits.loopIterations ?? 0
      fail(
        .call(
          "\(name.rawValue): a reduction of \(gemm.plan.chunk) terms a work-group runs past this driver's limit of "
            + "\(limit) loop iterations; clEnqueueNDRangeKernel", status: -5))
      return
    }
    launch(name, global: gemm.global, local: gemm.local, on: gemm.kernels, arguments: arguments)
  }

  /// Runs a weight-gradient kernel (conv2d_backward_weight or dense_backward_weight) whose
  /// output is [rows, cols] with the bias gradient in the last column, split along `depth`
  /// into scratch partials, whose sum into `dw` [rows, cols-1] and `db` [rows] waits in
  /// `pendingReductions`. `arguments(partial, chunk)` gives the kernel's arguments before dw,
  /// db and `direct`. With one slice the kernel writes dw and db itself: no reduction at all.
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
    if fault == nil {
      pendingReductions.append(
        PendingReduction(partial: partial, dw: dw, db: db, rows: rows, cols: cols, slices: slices))
    }
  }

  /// Enqueues the waiting weight-gradient reductions, two to a launch. A step's gradients are
  /// read only by Adam, so conv2's and conv1's reductions share one launch instead of two.
  /// Every path that could touch a waiting dw or db (a launch naming it, a download, upload
  /// or fill of it) calls this first, and so do flush, synchronize and the profile.
  func finishReductions() {
    guard !pendingReductions.isEmpty else { return }
    let waiting = pendingReductions
    pendingReductions = []
    for first in stride(from: 0, to: waiting.count, by: 2) {
      let a = waiting[first], b = first + 1 < waiting.count ? waiting[first + 1] : a
      let groupsA = reduceGroups(elements: a.rows * a.cols)
      let groupsB = first + 1 < waiting.count ? reduceGroups(elements: b.rows * b.cols) : 0
      launchReduce(
        .gemmReduceSplitK, groups: groupsA + groupsB, slices: max(a.slices, b.slices),
        arguments: a.arguments + b.arguments + [.int(groupsA)])
    }
  }

  /// Work-groups of a split-K reduction over `elements` outputs.
  func reduceGroups(elements: Int) -> Int {
    let x = kernels.reduceLocalSize.elements
    return (elements + x - 1) / x
  }

  /// `finishReductions` when `arguments` name a buffer a waiting reduction writes (a kernel
  /// reading or writing it, or a transfer or fill of it, must come after the reduction).
  func finishReductions(touching arguments: [CLArg]) {
    guard !pendingReductions.isEmpty else { return }
    let written = Set(pendingReductions.flatMap { [$0.dw.mem, $0.db.mem] })
    if arguments.contains(where: { if case .mem(let m) = $0 { written.contains(m) } else { false } }) {
      finishReductions()
    }
  }
}

/// A split-K weight gradient whose slices (`partial`, [slices][rows][cols]) still have to be
/// summed into dw and db.
struct PendingReduction {
  let partial: CLBuffer
  let dw: CLBuffer
  let db: CLBuffer
  let rows: Int
  let cols: Int
  let slices: Int

  /// gemm_reduce_splitk's arguments for one of its two reductions.
  var arguments: [CLArg] {
    [.mem(partial.mem), .mem(dw.mem), .mem(db.mem), .int(rows), .int(cols), .int(slices)]
  }
}
