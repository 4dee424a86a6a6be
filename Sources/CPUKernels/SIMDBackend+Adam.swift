import DigitsCore

extension SIMDBackend {
  /// m += (1 - beta1) * (g - m);  v += (1 - beta2) * (g*g - v);  p -= stepSize * m / (sqrt(v) + epsilon),
  /// in Float32, 8 elements at a time.
  public func adamUpdate(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, step: AdamStep) {
    counters.launches += 1
    let count = parameter.count
    ShapeCheck.require(
      gradient.count == count && m.count == count && v.count == count, "adamUpdate",
      "parameter \(parameter.shape) gradient \(gradient.shape) m \(m.shape) v \(v.shape)")
    let P = write(parameter, inPlace: true), M = write(m, inPlace: true), V = write(v, inPlace: true)
    let G = read(gradient)
    let a1 = 1 - step.beta1, a2 = 1 - step.beta2, lr = step.stepSize, eps = step.epsilon
    forEachBlock(count) { range in
      var i = range.lowerBound
      while i + 8 <= range.upperBound {
        let g = load8(G + i)
        var mi = load8(M + i), vi = load8(V + i)
        mi += a1 * (g - mi)
        vi += a2 * (g * g - vi)
        store8(mi, M + i)
        store8(vi, V + i)
        store8(load8(P + i) - lr * mi / (vi.squareRoot() + eps), P + i)
        i += 8
      }
      while i < range.upperBound {
        let g = G[i]
        M[i] += a1 * (g - M[i])
        V[i] += a2 * (g * g - V[i])
        P[i] -= lr * M[i] / (V[i].squareRoot() + eps)
        i += 1
      }
    }
  }
}
