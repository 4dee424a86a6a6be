import DigitsCore

/// dense.cl: the fully connected layer as tiled GEMMs.
extension OpenCLBackend {
  public func denseForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool) {
    ShapeCheck.require(w.rank == 2 && x.rank >= 1, "denseForward", "x \(x.shape), w \(w.shape)")
    let (o, i, n) = (w[0], w[1], x[0])
    ShapeCheck.require(
      x.count == n * i && y.shape == [n, o] && b.shape == [o], "denseForward",
      "x \(x.shape), w \(w.shape), b \(b.shape), y \(y.shape)")
    let gemm = gemmLaunch(rows: n, cols: o, depth: i, split: .toFill)
    let (slices, ym, bm) = (gemm.plan.slices, mem(y).mem, mem(b).mem)
    let partial = slices == 1 ? mem(y) : scratchBuffer(count: slices * n * o)
    launch(
      .denseForward, gemm,
      arguments: [
        .mem(mem(x).mem), .mem(mem(w).mem), .mem(bm), .mem(ym), .int(n), .int(i), .int(o), .int(relu ? 1 : 0),
        .int(gemm.plan.chunk), .mem(partial.mem), .int(slices == 1 ? 1 : 0),
      ])
    if slices > 1 {
      launchReduce(
        .denseForwardReduce, groups: reduceGroups(elements: n * o), slices: slices,
        arguments: [.mem(partial.mem), .mem(bm), .mem(ym), .int(n), .int(o), .int(slices), .int(relu ? 1 : 0)])
    }
  }

  public func denseBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor) {
    denseBackwardInput(outputGrad: dy, weight: w, inputGrad: dx, reluOutput: nil)
  }

  /// With `reluOutput`, also the ReLU backward of the layer below (dx *= reluOutput > 0).
  public func denseBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor, reluOutput: Tensor?) {
    ShapeCheck.require(
      reluOutput == nil || reluOutput!.count == dx.count, "denseBackwardInput",
      "relu \(reluOutput?.shape ?? []), dx \(dx.shape)")
    ShapeCheck.require(w.rank == 2 && dy.rank == 2, "denseBackwardInput", "dy \(dy.shape), w \(w.shape)")
    let (o, i, n) = (w[0], w[1], dy[0])
    ShapeCheck.require(
      dy.shape == [n, o] && dx.count == n * i, "denseBackwardInput", "dy \(dy.shape), w \(w.shape), dx \(dx.shape)")
    launch(
      .denseBackwardInput, gemmLaunch(rows: n, cols: i, depth: o, split: .never),
      arguments: [
        .mem(mem(dy).mem), .mem(mem(w).mem), .mem(mem(dx).mem), .int(n), .int(i), .int(o),
        .mem(mem(reluOutput ?? dx).mem), .int(reluOutput == nil ? 0 : 1),
      ])
  }

  public func denseBackwardWeight(input x: Tensor, outputGrad dy: Tensor, weightGrad dw: Tensor, biasGrad db: Tensor) {
    ShapeCheck.require(dw.rank == 2 && dy.rank == 2, "denseBackwardWeight", "dy \(dy.shape), dw \(dw.shape)")
    let (o, i, n) = (dw[0], dw[1], dy[0])
    ShapeCheck.require(
      dy.shape == [n, o] && x.count == n * i && db.shape == [o], "denseBackwardWeight",
      "x \(x.shape), dy \(dy.shape), dw \(dw.shape), db \(db.shape)")
    let (xm, dym) = (mem(x), mem(dy))
    weightGradient(.denseBackwardWeight, rows: o, cols: i + 1, depth: n, dw: mem(dw), db: mem(db)) { partial, chunk in
      [.mem(xm.mem), .mem(dym.mem), .mem(partial.mem), .int(n), .int(i), .int(o), .int(chunk)]
    }
  }
}
