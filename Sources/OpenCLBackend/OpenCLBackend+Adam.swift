import DigitsCore

/// adam.cl: one Adam step on a parameter tensor, in place.
extension OpenCLBackend {
  public func adamUpdate(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, step: AdamStep) {
    let count = parameter.count
    ShapeCheck.require(
      gradient.count == count && m.count == count && v.count == count, "adamUpdate",
      "parameter \(parameter.shape), gradient \(gradient.shape), m \(m.shape), v \(v.shape)")
    launch(
      .adamUpdate, elements: count, .mem(mem(parameter).mem), .mem(mem(gradient).mem), .mem(mem(m).mem),
      .mem(mem(v).mem), .int(count), .float(step.stepSize), .float(step.beta1), .float(step.beta2),
      .float(step.epsilon))
  }
}
