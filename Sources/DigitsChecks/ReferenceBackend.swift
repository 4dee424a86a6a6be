import DigitsCore
import Foundation

/// The living spec of every Backend op: plain loops, Float64 accumulation, no tricks.
/// Both real backends are checked against it op by op and on whole training steps.
public final class ReferenceBackend: Backend {
  public final class Buffer: DeviceBuffer {
    public var values: [Float]
    public var count: Int { values.count }
    init(count: Int) { values = [Float](repeating: 0, count: count) }
  }

  public init() {}
  public var name: String { "reference (Float64)" }

  @inline(__always) func buf(_ t: Tensor) -> Buffer { t.buffer as! Buffer }

  public func makeTensor(_ shape: [Int]) -> Tensor {
    Tensor(shape: shape, buffer: Buffer(count: shape.reduce(1, *)))
  }
  public func upload(_ values: UnsafeBufferPointer<Float>, to tensor: Tensor) {
    precondition(values.count == tensor.count)
    buf(tensor).values = Array(values)
  }
  public func download(_ tensor: Tensor) -> [Float] { buf(tensor).values }
  public func zero(_ tensor: Tensor) { buf(tensor).values = [Float](repeating: 0, count: tensor.count) }
  public func synchronize() {}

  public func conv2dForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool) {
    let (n, c, h, wd) = (x[0], x[1], x[2], x[3])
    let k = w[0]
    let (oh, ow) = (h - 2, wd - 2)
    precondition(w.shape == [k, c, 3, 3] && y.shape == [n, k, oh, ow] && b.shape == [k])
    let X = buf(x).values, W = buf(w).values, B = buf(b).values
    var Y = [Float](repeating: 0, count: y.count)
    for i in 0..<n {
      for o in 0..<k {
        for r in 0..<oh {
          for q in 0..<ow {
            var s = Double(B[o])
            for ch in 0..<c {
              for dr in 0..<3 {
                for dq in 0..<3 {
                  s +=
                    Double(X[((i * c + ch) * h + r + dr) * wd + q + dq]) * Double(W[((o * c + ch) * 3 + dr) * 3 + dq])
                }
              }
            }
            Y[((i * k + o) * oh + r) * ow + q] = Float(relu ? max(0, s) : s)
          }
        }
      }
    }
    buf(y).values = Y
  }

  public func conv2dBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor) {
    let (n, c, h, wd) = (dx[0], dx[1], dx[2], dx[3])
    let k = w[0]
    let (oh, ow) = (h - 2, wd - 2)
    precondition(dy.shape == [n, k, oh, ow] && w.shape == [k, c, 3, 3])
    let DY = buf(dy).values, W = buf(w).values
    var DX = [Double](repeating: 0, count: dx.count)
    for i in 0..<n {
      for o in 0..<k {
        for r in 0..<oh {
          for q in 0..<ow {
            let g = Double(DY[((i * k + o) * oh + r) * ow + q])
            for ch in 0..<c {
              for dr in 0..<3 {
                for dq in 0..<3 {
                  DX[((i * c + ch) * h + r + dr) * wd + q + dq] += g * Double(W[((o * c + ch) * 3 + dr) * 3 + dq])
                }
              }
            }
          }
        }
      }
    }
    buf(dx).values = DX.map { Float($0) }
  }

  public func conv2dBackwardWeight(input x: Tensor, outputGrad dy: Tensor, weightGrad dw: Tensor, biasGrad db: Tensor) {
    let (n, c, h, wd) = (x[0], x[1], x[2], x[3])
    let k = dw[0]
    let (oh, ow) = (h - 2, wd - 2)
    precondition(dy.shape == [n, k, oh, ow] && dw.shape == [k, c, 3, 3] && db.shape == [k])
    let X = buf(x).values, DY = buf(dy).values
    var DW = [Double](repeating: 0, count: dw.count), DB = [Double](repeating: 0, count: k)
    for i in 0..<n {
      for o in 0..<k {
        for r in 0..<oh {
          for q in 0..<ow {
            let g = Double(DY[((i * k + o) * oh + r) * ow + q])
            DB[o] += g
            for ch in 0..<c {
              for dr in 0..<3 {
                for dq in 0..<3 {
                  DW[((o * c + ch) * 3 + dr) * 3 + dq] += g * Double(X[((i * c + ch) * h + r + dr) * wd + q + dq])
                }
              }
            }
          }
        }
      }
    }
    buf(dw).values = DW.map { Float($0) }
    buf(db).values = DB.map { Float($0) }
  }

  public func reluBackward(output y: Tensor, outputGrad dy: Tensor) {
    precondition(y.count == dy.count)
    let Y = buf(y).values
    for i in 0..<dy.count where !(Y[i] > 0) { buf(dy).values[i] = 0 }
  }

  public func maxPool2Forward(input x: Tensor, output y: Tensor, argmax: Tensor) {
    let (n, c, h, w) = (x[0], x[1], x[2], x[3])
    let (ph, pw) = (h / 2, w / 2)
    precondition(y.shape == [n, c, ph, pw] && argmax.shape == y.shape)
    let X = buf(x).values
    var Y = [Float](repeating: 0, count: y.count), A = Y
    for p in 0..<(n * c) {
      for r in 0..<ph {
        for q in 0..<pw {
          var best = -Float.infinity, arg = 0
          for j in 0..<4 {
            let v = X[(p * h + 2 * r + j / 2) * w + 2 * q + j % 2]
            if v > best {
              best = v
              arg = j
            }
          }
          Y[(p * ph + r) * pw + q] = best
          A[(p * ph + r) * pw + q] = Float(arg)
        }
      }
    }
    buf(y).values = Y
    buf(argmax).values = A
  }

  public func maxPool2Backward(outputGrad dy: Tensor, argmax: Tensor, inputGrad dx: Tensor) {
    let (n, c, h, w) = (dx[0], dx[1], dx[2], dx[3])
    let (ph, pw) = (h / 2, w / 2)
    precondition(dy.shape == [n, c, ph, pw] && argmax.shape == dy.shape)
    let DY = buf(dy).values, A = buf(argmax).values
    var DX = [Float](repeating: 0, count: dx.count)
    for p in 0..<(n * c) {
      for r in 0..<ph {
        for q in 0..<pw {
          let j = Int(A[(p * ph + r) * pw + q])
          DX[(p * h + 2 * r + j / 2) * w + 2 * q + j % 2] = DY[(p * ph + r) * pw + q]
        }
      }
    }
    buf(dx).values = DX
  }

  public func denseForward(input x: Tensor, weight w: Tensor, bias b: Tensor, output y: Tensor, relu: Bool) {
    let (o, i) = (w[0], w[1])
    let n = x[0]
    precondition(x.count == n * i && y.shape == [n, o] && b.shape == [o])
    let X = buf(x).values, W = buf(w).values, B = buf(b).values
    var Y = [Float](repeating: 0, count: n * o)
    for r in 0..<n {
      for j in 0..<o {
        var s = Double(B[j])
        for q in 0..<i { s += Double(X[r * i + q]) * Double(W[j * i + q]) }
        Y[r * o + j] = Float(relu ? max(0, s) : s)
      }
    }
    buf(y).values = Y
  }

  public func denseBackwardInput(outputGrad dy: Tensor, weight w: Tensor, inputGrad dx: Tensor) {
    let (o, i) = (w[0], w[1])
    let n = dy[0]
    precondition(dy.shape == [n, o] && dx.count == n * i)
    let DY = buf(dy).values, W = buf(w).values
    var DX = [Float](repeating: 0, count: n * i)
    for r in 0..<n {
      for q in 0..<i {
        var s = 0.0
        for j in 0..<o { s += Double(DY[r * o + j]) * Double(W[j * i + q]) }
        DX[r * i + q] = Float(s)
      }
    }
    buf(dx).values = DX
  }

  public func denseBackwardWeight(input x: Tensor, outputGrad dy: Tensor, weightGrad dw: Tensor, biasGrad db: Tensor) {
    let (o, i) = (dw[0], dw[1])
    let n = dy[0]
    precondition(dy.shape == [n, o] && x.count == n * i && db.shape == [o])
    let X = buf(x).values, DY = buf(dy).values
    var DW = [Float](repeating: 0, count: o * i), DB = [Float](repeating: 0, count: o)
    for j in 0..<o {
      var sb = 0.0
      for r in 0..<n { sb += Double(DY[r * o + j]) }
      DB[j] = Float(sb)
      for q in 0..<i {
        var s = 0.0
        for r in 0..<n { s += Double(DY[r * o + j]) * Double(X[r * i + q]) }
        DW[j * i + q] = Float(s)
      }
    }
    buf(dw).values = DW
    buf(db).values = DB
  }

  /// Softmax of one row in Float64, max-shifted for stability.
  func softmaxRow(_ row: ArraySlice<Float>) -> [Double] {
    let m = Double(row.max()!)
    let e = row.map { exp(Double($0) - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
  }

  public func softmaxCrossEntropy(logits: Tensor, labels: Tensor, logitsGrad: Tensor, stats: Tensor) {
    crossEntropy(logits: logits, labels: labels, logitsGrad: logitsGrad, stats: stats)
  }

  public func crossEntropyStats(logits: Tensor, labels: Tensor, stats: Tensor) {
    crossEntropy(logits: logits, labels: labels, logitsGrad: nil, stats: stats)
  }

  func crossEntropy(logits: Tensor, labels: Tensor, logitsGrad: Tensor?, stats: Tensor) {
    let (n, k) = (logits[0], logits[1])
    precondition(labels.count == n && stats.count >= 2)
    let L = buf(logits).values, T = buf(labels).values
    var loss = 0.0, correct = 0
    var G = [Float](repeating: 0, count: n * k)
    for r in 0..<n {
      let row = L[(r * k)..<(r * k + k)]
      let p = softmaxRow(row)
      let t = Int(T[r])
      loss -= log(max(p[t], 1e-300))
      let arg = row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }! - r * k
      if arg == t { correct += 1 }
      for j in 0..<k { G[r * k + j] = Float((p[j] - (j == t ? 1 : 0)) / Double(n)) }
    }
    if let logitsGrad { buf(logitsGrad).values = G }
    buf(stats).values[0] += Float(loss)
    buf(stats).values[1] += Float(correct)
  }

  public func softmax(logits: Tensor, probabilities: Tensor) {
    let (n, k) = (logits[0], logits[1])
    let L = buf(logits).values
    var P = [Float](repeating: 0, count: n * k)
    for r in 0..<n {
      let p = softmaxRow(L[(r * k)..<(r * k + k)])
      for j in 0..<k { P[r * k + j] = Float(p[j]) }
    }
    buf(probabilities).values = P
  }

  public func adamUpdate(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, step: AdamStep) {
    let G = buf(gradient).values
    for i in 0..<parameter.count {
      let g = Double(G[i])
      let mi = Double(buf(m).values[i]) + (1 - Double(step.beta1)) * (g - Double(buf(m).values[i]))
      let vi = Double(buf(v).values[i]) + (1 - Double(step.beta2)) * (g * g - Double(buf(v).values[i]))
      buf(m).values[i] = Float(mi)
      buf(v).values[i] = Float(vi)
      buf(parameter).values[i] = Float(
        Double(buf(parameter).values[i]) - Double(step.stepSize) * mi / (vi.squareRoot() + Double(step.epsilon)))
    }
  }
}
