import DigitsCore

/// conv2d.cl: 3x3 valid convolution, stride 1, as implicit GEMMs.
extension OpenCLBackend {
  public func conv2dForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool) {
    ShapeCheck.require(x.rank == 4 && w.rank == 4, "conv2dForward", "x \(x.shape), w \(w.shape)")
    let (n, c, h, wd, k) = (x[0], x[1], x[2], x[3], w[0])
    ShapeCheck.require(
      w.shape == [k, c, 3, 3] && b.shape == [k] && y.shape == [n, k, h - 2, wd - 2], "conv2dForward",
      "x \(x.shape), w \(w.shape), b \(b.shape), y \(y.shape)")
    launch(
      .conv2dForward, gemmLaunch(rows: k, cols: n * (h - 2) * (wd - 2), depth: c * 9, split: .never),
      arguments: [
        .mem(mem(x).mem), .mem(mem(w).mem), .mem(mem(b).mem), .mem(mem(y).mem), .int(n), .int(c), .int(h),
        .int(wd), .int(k), .int(relu ? 1 : 0),
      ])
  }

  public func conv2dBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor) {
    ShapeCheck.require(dx.rank == 4 && w.rank == 4, "conv2dBackwardInput", "dx \(dx.shape), w \(w.shape)")
    let (n, c, h, wd, k) = (dx[0], dx[1], dx[2], dx[3], w[0])
    ShapeCheck.require(
      w.shape == [k, c, 3, 3] && dy.shape == [n, k, h - 2, wd - 2], "conv2dBackwardInput",
      "dy \(dy.shape), w \(w.shape), dx \(dx.shape)")
    launch(
      .conv2dBackwardInput, gemmLaunch(rows: c, cols: n * h * wd, depth: k * 9, split: .never),
      arguments: [
        .mem(mem(dy).mem), .mem(mem(w).mem), .mem(mem(dx).mem), .int(n), .int(c), .int(h), .int(wd), .int(k),
      ])
  }

  public func conv2dBackwardWeight(input x: Tensor, outputGrad dy: Tensor, weightGrad dw: Tensor, biasGrad db: Tensor) {
    ShapeCheck.require(x.rank == 4 && dw.rank == 4, "conv2dBackwardWeight", "x \(x.shape), dw \(dw.shape)")
    let (n, c, h, wd, k) = (x[0], x[1], x[2], x[3], dw[0])
    ShapeCheck.require(
      dw.shape == [k, c, 3, 3] && db.shape == [k] && dy.shape == [n, k, h - 2, wd - 2],
      "conv2dBackwardWeight", "x \(x.shape), dy \(dy.shape), dw \(dw.shape), db \(db.shape)")
    let (xm, dym) = (mem(x), mem(dy))
    weightGradient(
      .conv2dBackwardWeight, rows: k, cols: c * 9 + 1, depth: n * (h - 2) * (wd - 2), dw: mem(dw), db: mem(db)
    ) { partial, chunk in
      [.mem(xm.mem), .mem(dym.mem), .mem(partial.mem), .int(n), .int(c), .int(h), .int(wd), .int(k), .int(chunk)]
    }
  }
}
