import DigitsCore

/// pool.cl: 2x2 max pooling with the winner's offset kept for the backward pass.
extension OpenCLBackend {
  public func maxPool2Forward(input x: Tensor, output y: Tensor, argmax: Tensor) {
    ShapeCheck.require(x.rank == 4, "maxPool2Forward", "x \(x.shape)")
    let (n, c, h, w) = (x[0], x[1], x[2], x[3])
    ShapeCheck.require(
      y.shape == [n, c, h / 2, w / 2] && argmax.shape == y.shape, "maxPool2Forward",
      "x \(x.shape), y \(y.shape), argmax \(argmax.shape)")
    launch(
      .maxPool2Forward, elements: y.count, .mem(mem(x).mem), .mem(mem(y).mem), .mem(mem(argmax).mem),
      .int(n * c), .int(h), .int(w))
  }

  public func maxPool2Backward(outputGrad dy: Tensor, argmax: Tensor, inputGrad dx: Tensor) {
    maxPool2Backward(outputGrad: dy, argmax: argmax, inputGrad: dx, reluOutput: nil)
  }

  /// With `reluOutput` (the pooled layer's ReLU output), also the ReLU backward.
  public func maxPool2Backward(outputGrad dy: Tensor, argmax: Tensor, inputGrad dx: Tensor, reluOutput: Tensor?) {
    ShapeCheck.require(
      reluOutput == nil || reluOutput!.count == dx.count, "maxPool2Backward",
      "relu \(reluOutput?.shape ?? []), dx \(dx.shape)")
    ShapeCheck.require(dx.rank == 4, "maxPool2Backward", "dx \(dx.shape)")
    let (n, c, h, w) = (dx[0], dx[1], dx[2], dx[3])
    ShapeCheck.require(
      dy.shape == [n, c, h / 2, w / 2] && argmax.shape == dy.shape, "maxPool2Backward",
      "dy \(dy.shape), argmax \(argmax.shape), dx \(dx.shape)")
    launch(
      .maxPool2Backward, elements: dx.count, .mem(mem(dy).mem), .mem(mem(argmax).mem), .mem(mem(dx).mem),
      .int(n * c), .int(h), .int(w), .mem(mem(reluOutput ?? dx).mem), .int(reluOutput == nil ? 0 : 1))
  }
}
