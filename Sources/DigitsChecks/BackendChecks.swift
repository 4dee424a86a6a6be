import DigitsCore

/// The sizes one run of `BackendChecks` uses: a 3x3 convolution x[N,C,H,W] -> [N,K,H-2,W-2],
/// 2x2 max pooling of x itself (so odd H and W test the dropped row/column), a dense layer
/// from x flattened (I = C*H*W) to O outputs, and a 10-class softmax over N rows.
public struct BackendCheckShape: Sendable, CustomStringConvertible {
  public var batch: Int
  public var channels: Int
  public var filters: Int
  public var height: Int
  public var width: Int
  public var denseOutputs: Int

  public init(batch: Int, channels: Int, filters: Int, height: Int, width: Int, denseOutputs: Int = 7) {
    precondition(height >= 3 && width >= 3, "the convolution needs at least 3x3 inputs")
    (self.batch, self.channels, self.filters, self.height, self.width, self.denseOutputs) =
      (batch, channels, filters, height, width, denseOutputs)
  }

  public var description: String {
    "N\(batch) C\(channels) K\(filters) \(height)x\(width) O\(denseOutputs)"
  }
}

extension BackendCheckShape {
  /// Odd shapes every backend is checked on: batch 1, 3 and 127, channel counts and sizes
  /// that no tile divides, odd heights and widths (pooling drops a row or column), and the
  /// seed network's two layers at batch 1.
  public static let odd: [BackendCheckShape] = [
    BackendCheckShape(batch: 1, channels: 1, filters: 32, height: 28, width: 28, denseOutputs: 10),
    BackendCheckShape(batch: 3, channels: 5, filters: 3, height: 7, width: 7, denseOutputs: 5),
    BackendCheckShape(batch: 127, channels: 1, filters: 3, height: 5, width: 5, denseOutputs: 3),
    BackendCheckShape(batch: 1, channels: 32, filters: 64, height: 13, width: 13, denseOutputs: 128),
    BackendCheckShape(batch: 3, channels: 33, filters: 17, height: 7, width: 6, denseOutputs: 1),
    BackendCheckShape(batch: 2, channels: 3, filters: 33, height: 13, width: 9, denseOutputs: 17),
  ]

  /// The seed network's two convolution layers (and a dense layer of their size) at the
  /// training batch of 128.
  public static let network: [BackendCheckShape] = [
    BackendCheckShape(batch: 128, channels: 1, filters: 32, height: 28, width: 28, denseOutputs: 10),
    BackendCheckShape(batch: 128, channels: 32, filters: 64, height: 13, width: 13, denseOutputs: 128),
  ]
}

/// One output of one op, with the tolerance it is held to against the Float64 reference.
public struct BackendCheckOutput {
  public var name: String
  public var values: [Float]
  public var atol: Float
  public var rtol: Float
}

/// Backend-agnostic agreement checks: every op of `Backend`, forward and backward, run on the
/// same pseudo-random inputs on two backends, outputs compared element by element.
///
/// Tolerances against the reference (Float64 accumulation): a sum of `terms` products of
/// values in [-1, 1] gets atol = 1e-6 + 5e-7 * terms, rtol = 1e-4 (Float32 rounding grows
/// with the number of terms; this leaves about 10x headroom over what a correct Float32
/// backend shows). Max pooling, its argmax codes, its backward pass, the ReLU backward pass
/// and the count of correct predictions are exact. Softmax, losses and Adam: rtol 1e-5 with
/// a small atol. Two Float32 backends compared with each other get twice the tolerance.
public enum BackendChecks {
  /// Messages for every output of `backend` that disagrees with `ReferenceBackend`; empty
  /// when all agree.
  public static func compareWithReference(_ backend: any Backend, shape: BackendCheckShape, seed: UInt64 = 1)
    -> [String]
  {
    compare(
      outputs(of: backend, shape: shape, seed: seed), outputs(of: ReferenceBackend(), shape: shape, seed: seed),
      scale: 1, label: "\(backend.name) vs reference, \(shape)")
  }

  /// Messages for every output on which two backends disagree (each held to twice its
  /// reference tolerance); empty when all agree.
  public static func compare(_ a: any Backend, _ b: any Backend, shape: BackendCheckShape, seed: UInt64 = 1) -> [String]
  {
    compare(
      outputs(of: a, shape: shape, seed: seed), outputs(of: b, shape: shape, seed: seed),
      scale: 2, label: "\(a.name) vs \(b.name), \(shape)")
  }

  /// `compareWithReference` and `compare` with `other` together, running `backend` once
  /// (it may be a slow device): messages for every output that disagrees with either.
  public static func compareWithReference(
    _ backend: any Backend, andWith other: any Backend, shape: BackendCheckShape, seed: UInt64 = 1
  ) -> [String] {
    let observed = outputs(of: backend, shape: shape, seed: seed)
    return compare(
      observed, outputs(of: ReferenceBackend(), shape: shape, seed: seed), scale: 1,
      label: "\(backend.name) vs reference, \(shape)")
      + compare(
        observed, outputs(of: other, shape: shape, seed: seed), scale: 2,
        label: "\(backend.name) vs \(other.name), \(shape)")
  }

  static func compare(_ observed: [BackendCheckOutput], _ expected: [BackendCheckOutput], scale: Float, label: String)
    -> [String]
  {
    zip(observed, expected).compactMap { o, e in
      mismatchReport(o.values, e.values, atol: e.atol * scale, rtol: e.rtol * scale, label: "\(label): \(e.name)")
    }
  }

  /// Runs every op once on `backend` with inputs drawn from `seed`, in a fixed order, and
  /// returns the outputs (the same list, names and order for every backend).
  public static func outputs(of backend: any Backend, shape s: BackendCheckShape, seed: UInt64 = 1)
    -> [BackendCheckOutput]
  {
    var rng = TestRandom(seed: seed)
    let (n, c, k, h, w, o) = (s.batch, s.channels, s.filters, s.height, s.width, s.denseOutputs)
    let (oh, ow, ph, pw, i) = (h - 2, w - 2, h / 2, w / 2, c * h * w)
    var out: [BackendCheckOutput] = []
    func tensor(_ shape: [Int], _ values: [Float]) -> Tensor { backend.makeTensor(shape, values: values) }
    func record(_ name: String, _ t: Tensor, terms: Int) {
      out.append(
        BackendCheckOutput(name: name, values: backend.download(t), atol: 1e-6 + 5e-7 * Float(terms), rtol: 1e-4))
    }
    func exact(_ name: String, _ t: Tensor) {
      out.append(BackendCheckOutput(name: name, values: backend.download(t), atol: 0, rtol: 0))
    }

    // Convolution.
    let x = tensor([n, c, h, w], rng.array(n * c * h * w))
    let cw = tensor([k, c, 3, 3], rng.array(k * c * 9))
    let cb = tensor([k], rng.array(k))
    for relu in [false, true] {
      let y = tensor([n, k, oh, ow], rng.array(n * k * oh * ow))  // garbage: must be overwritten
      backend.conv2dForward(input: x, weight: cw, bias: cb, output: y, relu: relu)
      record("conv2dForward relu=\(relu)", y, terms: c * 9 + 1)
    }
    let dy = tensor([n, k, oh, ow], rng.array(n * k * oh * ow))
    let dx = tensor([n, c, h, w], rng.array(n * c * h * w))
    backend.conv2dBackwardInput(outputGrad: dy, weight: cw, inputGrad: dx)
    record("conv2dBackwardInput", dx, terms: k * 9)
    let dcw = tensor([k, c, 3, 3], rng.array(k * c * 9)), dcb = tensor([k], rng.array(k))
    backend.conv2dBackwardWeight(input: x, outputGrad: dy, weightGrad: dcw, biasGrad: dcb)
    record("conv2dBackwardWeight dw", dcw, terms: n * oh * ow)
    record("conv2dBackwardWeight db", dcb, terms: n * oh * ow)
    // Again with a dy that is mostly exact zeros, as behind max pooling and ReLU (a backend
    // may skip them); one image keeps a dense dy.
    let sparseDy = tensor(
      [n, k, oh, ow],
      rng.array(n * k * oh * ow).enumerated().map { i, v in
        i < k * oh * ow || i % 5 == 0 ? v : 0
      })
    backend.conv2dBackwardInput(outputGrad: sparseDy, weight: cw, inputGrad: dx)
    record("conv2dBackwardInput (sparse dy)", dx, terms: k * 9)
    backend.conv2dBackwardWeight(input: x, outputGrad: sparseDy, weightGrad: dcw, biasGrad: dcb)
    record("conv2dBackwardWeight dw (sparse dy)", dcw, terms: n * oh * ow)
    record("conv2dBackwardWeight db (sparse dy)", dcb, terms: n * oh * ow)

    // ReLU backward: y holds exact zeros, negatives and positives.
    let yr = tensor([n, k, oh, ow], rng.array(n * k * oh * ow).enumerated().map { $0 % 5 == 0 ? 0 : $1 })
    let dyr = tensor([n, k, oh, ow], rng.array(n * k * oh * ow))
    backend.reluBackward(output: yr, outputGrad: dyr)
    exact("reluBackward", dyr)

    // Max pooling of x; the backward pass routes through the reference's argmax codes so
    // both backends see the same valid input.
    let py = tensor([n, c, ph, pw], rng.array(n * c * ph * pw)),
      pa = tensor([n, c, ph, pw], rng.array(n * c * ph * pw))
    backend.maxPool2Forward(input: x, output: py, argmax: pa)
    exact("maxPool2Forward y", py)
    exact("maxPool2Forward argmax", pa)
    let codes = referenceArgmax(backend.download(x), n * c, h, w)
    let pdy = tensor([n, c, ph, pw], rng.array(n * c * ph * pw))
    let pdx = tensor([n, c, h, w], rng.array(n * c * h * w))
    backend.maxPool2Backward(outputGrad: pdy, argmax: tensor([n, c, ph, pw], codes), inputGrad: pdx)
    exact("maxPool2Backward", pdx)

    // Dense layer on x flattened.
    let dw = tensor([o, i], rng.array(o * i)), db = tensor([o], rng.array(o))
    for relu in [false, true] {
      let y = tensor([n, o], rng.array(n * o))
      backend.denseForward(input: x, weight: dw, bias: db, output: y, relu: relu)
      record("denseForward relu=\(relu)", y, terms: i + 1)
    }
    let ddy = tensor([n, o], rng.array(n * o))
    let ddx = tensor([n, c, h, w], rng.array(n * i))
    backend.denseBackwardInput(outputGrad: ddy, weight: dw, inputGrad: ddx)
    record("denseBackwardInput", ddx, terms: o)
    let ddw = tensor([o, i], rng.array(o * i)), ddb = tensor([o], rng.array(o))
    backend.denseBackwardWeight(input: x, outputGrad: ddy, weightGrad: ddw, biasGrad: ddb)
    record("denseBackwardWeight dw", ddw, terms: n)
    record("denseBackwardWeight db", ddb, terms: n)

    // Softmax and cross-entropy over 10 classes; stats start non-zero (the ops add to them).
    let logits = tensor([n, 10], rng.array(n * 10, -4, 4))
    let labels = tensor([n], rng.labels(n))
    let grad = tensor([n, 10], rng.array(n * 10))
    let stats = tensor([2], [1.5, 2])
    backend.softmaxCrossEntropy(logits: logits, labels: labels, logitsGrad: grad, stats: stats)
    out.append(
      BackendCheckOutput(name: "softmaxCrossEntropy grad", values: backend.download(grad), atol: 1e-7, rtol: 1e-5))
    out.append(contentsOf: statsOutputs("softmaxCrossEntropy", backend.download(stats), rows: n))
    let evalStats = tensor([2], [0.25, 1])
    backend.crossEntropyStats(logits: logits, labels: labels, stats: evalStats)
    out.append(contentsOf: statsOutputs("crossEntropyStats", backend.download(evalStats), rows: n))
    let probabilities = tensor([n, 10], rng.array(n * 10))
    backend.softmax(logits: logits, probabilities: probabilities)
    out.append(BackendCheckOutput(name: "softmax", values: backend.download(probabilities), atol: 1e-7, rtol: 1e-5))

    // Adam on a parameter of odd size (vector body and scalar tail).
    let count = o * 3 + 5
    let param = tensor([count], rng.array(count)), gradient = tensor([count], rng.array(count))
    let m = tensor([count], rng.array(count, -0.1, 0.1)), v = tensor([count], rng.array(count, 0, 0.1))
    backend.adamUpdate(parameter: param, gradient: gradient, m: m, v: v, step: AdamStep(learningRate: 0.01, step: 3))
    for (name, t) in [("adamUpdate parameter", param), ("adamUpdate m", m), ("adamUpdate v", v)] {
      out.append(BackendCheckOutput(name: name, values: backend.download(t), atol: 1e-6, rtol: 1e-5))
    }
    backend.synchronize()
    return out
  }

  /// stats = (loss sum, correct count): the loss to rtol 1e-5, the count exactly.
  static func statsOutputs(_ op: String, _ stats: [Float], rows: Int) -> [BackendCheckOutput] {
    [
      BackendCheckOutput(name: "\(op) loss", values: [stats[0]], atol: 1e-4, rtol: 1e-5),
      BackendCheckOutput(name: "\(op) correct", values: [stats[1]], atol: 0, rtol: 0),
    ]
  }

  /// Argmax codes of 2x2 max pooling, computed on the host the reference's way.
  static func referenceArgmax(_ x: [Float], _ planes: Int, _ h: Int, _ w: Int) -> [Float] {
    var codes: [Float] = []
    for p in 0..<planes {
      for r in 0..<(h / 2) {
        for q in 0..<(w / 2) {
          var best = -Float.infinity, arg = 0
          for j in 0..<4 where x[(p * h + 2 * r + j / 2) * w + 2 * q + j % 2] > best {
            best = x[(p * h + 2 * r + j / 2) * w + 2 * q + j % 2]
            arg = j
          }
          codes.append(Float(arg))
        }
      }
    }
    return codes
  }
}
