import DigitsCore

/// dense.cl: the fully connected layer as tiled GEMMs.
extension OpenCLBackend {
  public func denseForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool) {
    ShapeCheck.require(w.rank == 2 && x.rank >= 1, "denseForward", "x \(x.shape), w \(w.shape)")
    let (o, i, n) = (w[0], w[1], x[0])
    ShapeCheck.require(
      x.count == n * i && y.shape == [n, o] && b.shape == [o], "denseForward",
      "x \(x.shape), w \(w.shape), b \(b.shape), y \(y.shape)")
    let grid = gemmGrid(rows: n, cols: o)
    launch(
      .denseForward, global: grid.global, local: grid.local, .mem(mem(x).mem), .mem(mem(w).mem),
      .mem(mem(b).mem), .mem(mem(y).mem), .int(n), .int(i), .int(o), .int(relu ? 1 : 0))
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
    let grid = gemmGrid(rows: n, cols: i)
    launch(
      .denseBackwardInput, global: grid.global, local: grid.local, .mem(mem(dy).mem), .mem(mem(w).mem),
      .mem(mem(dx).mem), .int(n), .int(i), .int(o), .mem(mem(reluOutput ?? dx).mem), .int(reluOutput == nil ? 0 : 1))
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
