import DigitsCore
import Foundation

/// Softmax and cross-entropy over rows of logits[N, classes]. Tiny next to the layers, so
/// plain scalar code in Float64 (the same arithmetic as the reference).
extension SIMDBackend {
  public func softmaxCrossEntropy(logits: Tensor, labels: Tensor, logitsGrad: Tensor, stats: Tensor) {
    counters.launches += 1
    ShapeCheck.require(
      logitsGrad.shape == logits.shape, "softmaxCrossEntropy",
      "logits \(logits.shape) logitsGrad \(logitsGrad.shape)")
    crossEntropy(logits: logits, labels: labels, logitsGrad: write(logitsGrad), stats: stats, op: "softmaxCrossEntropy")
  }

  public func crossEntropyStats(logits: Tensor, labels: Tensor, stats: Tensor) {
    counters.launches += 1
    crossEntropy(logits: logits, labels: labels, logitsGrad: nil, stats: stats, op: "crossEntropyStats")
  }

  public func softmax(logits: Tensor, probabilities: Tensor) {
    counters.launches += 1
    ShapeCheck.require(
      logits.rank == 2 && probabilities.shape == logits.shape, "softmax",
      "logits \(logits.shape) probabilities \(probabilities.shape)")
    let (n, k) = (logits[0], logits[1])
    let P = write(probabilities), L = read(logits)
    for r in 0..<n {
      let row = L + r * k, out = P + r * k
      let (maxValue, _) = Self.rowMax(row, k)
      var sum = 0.0
      for j in 0..<k { sum += exp(Double(row[j]) - maxValue) }
      for j in 0..<k { out[j] = Float(exp(Double(row[j]) - maxValue) / sum) }
    }
  }

  func crossEntropy(
    logits: Tensor, labels: Tensor, logitsGrad: UnsafeMutablePointer<Float>?, stats: Tensor, op: StaticString
  ) {
    ShapeCheck.require(
      logits.rank == 2 && labels.count == logits[0] && stats.count >= 2, op,
      "logits \(logits.shape) labels \(labels.shape) stats \(stats.shape)")
    let (n, k) = (logits[0], logits[1])
    let S = write(stats, inPlace: true), L = read(logits), T = read(labels)
    var loss = 0.0, correct = 0
    for r in 0..<n {
      let row = L + r * k
      let label = Int(T[r])
      ShapeCheck.require(label >= 0 && label < k, op, "label \(T[r]) of row \(r) is not a class index below \(k)")
      let (maxValue, arg) = Self.rowMax(row, k)
      var sum = 0.0
      for j in 0..<k { sum += exp(Double(row[j]) - maxValue) }
      let p = exp(Double(row[label]) - maxValue) / sum
      loss -= log(max(p, 1e-300))
      if arg == label { correct += 1 }
      if let logitsGrad {
        for j in 0..<k {
          let pj = exp(Double(row[j]) - maxValue) / sum
          logitsGrad[r * k + j] = Float((pj - (j == label ? 1 : 0)) / Double(n))
        }
      }
    }
    S[0] += Float(loss)
    S[1] += Float(correct)
  }

  /// The largest value of a row (as Double) and the first index holding it.
  static func rowMax(_ row: UnsafePointer<Float>, _ k: Int) -> (Double, Int) {
    var best = row[0], arg = 0
    for j in 1..<max(k, 1) where row[j] > best {
      best = row[j]
      arg = j
    }
    return (Double(best), arg)
  }
}
