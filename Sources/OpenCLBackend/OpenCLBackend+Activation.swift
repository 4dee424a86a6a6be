import DigitsCore

/// activation.cl: the ReLU backward pass (the forward ReLU is fused into conv and dense).
extension OpenCLBackend {
  public func reluBackward(output y: Tensor, outputGrad dy: Tensor) {
    ShapeCheck.require(y.count == dy.count, "reluBackward", "y \(y.shape), dy \(dy.shape)")
    launch(.reluBackward, elements: y.count, .mem(mem(y).mem), .mem(mem(dy).mem), .int(y.count))
  }
}
