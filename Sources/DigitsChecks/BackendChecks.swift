import DigitsCore
import DigitsVision

/// The sizes one run of `BackendChecks` uses: a 3x3 convolution x[N,C,H,W] -> [N,K,H-2,W-2],
/// 2x2 max pooling of x itself (so odd H and W test the dropped row/column), a dense layer
/// from x flattened (I = C*H*W) to O outputs, and a softmax over N rows of `classes`.
public struct BackendCheckShape: Sendable, CustomStringConvertible {
  public var batch: Int
  public var channels: Int
  public var filters: Int
  public var height: Int
  public var width: Int
  public var denseOutputs: Int
  /// Width of the softmax and cross-entropy rows.
  public var classes: Int

  public init(
    batch: Int, channels: Int, filters: Int, height: Int, width: Int, denseOutputs: Int = 7,
    classes: Int = MNISTShape.classes
  ) {
    precondition(height >= 3 && width >= 3, "the convolution needs at least 3x3 inputs")
    (self.batch, self.channels, self.filters, self.height, self.width, self.denseOutputs, self.classes) =
      (batch, channels, filters, height, width, denseOutputs, classes)
  }

  public var description: String {
    "N\(batch) C\(channels) K\(filters) \(height)x\(width) O\(denseOutputs)"
      + (classes == MNISTShape.classes ? "" : " classes \(classes)")
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

  /// Last layers of networks of other class counts (2, 26, 47, 62: yes/no, letters, EMNIST
  /// Balanced, ByClass) at batches 1, 3 and 127: a dense layer from the 128 hidden units to
  /// N outputs (and back), and the softmax and cross-entropy over N.
  public static let classCounts: [BackendCheckShape] =
    [2, 26, 47, 62].enumerated().map { i, classes in
      BackendCheckShape(
        batch: [1, 3, 127, 3][i], channels: 2, filters: 3, height: 8, width: 8, denseOutputs: classes, classes: classes)
    } + [BackendCheckShape(batch: 127, channels: 128, filters: 2, height: 3, width: 3, denseOutputs: 47, classes: 47)]

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
  public var tolerance: Tolerance
}

/// Backend-agnostic agreement checks: every requirement of `Backend` (the plain ops forward
/// and backward, the fused ops, the data ops) run on the same pseudo-random inputs on two
/// backends, outputs compared element by element under `DerivedTolerance`; against another
/// Float32 backend, each output gets twice its bound (`Tolerance.betweenBackends`).
public enum BackendChecks {
  /// Messages for every output of `backend` that disagrees with `ReferenceBackend`; empty
  /// when all agree.
  public static func compareWithReference(_ backend: any Backend, shape: BackendCheckShape, seed: UInt64 = 1)
    -> [String]
  {
    compare(
      outputs(of: backend, shape: shape, seed: seed), outputs(of: ReferenceBackend(), shape: shape, seed: seed),
      betweenBackends: false, label: "\(backend.name) vs reference, \(shape)")
  }

  /// Messages for every output on which two backends disagree (each held to twice its
  /// reference tolerance); empty when all agree.
  public static func compare(_ a: any Backend, _ b: any Backend, shape: BackendCheckShape, seed: UInt64 = 1) -> [String]
  {
    compare(
      outputs(of: a, shape: shape, seed: seed), outputs(of: b, shape: shape, seed: seed),
      betweenBackends: true, label: "\(a.name) vs \(b.name), \(shape)")
  }

  /// `compareWithReference` and `compare` with `other` together, running `backend` once
  /// (it may be a slow device): messages for every output that disagrees with either.
  public static func compareWithReference(
    _ backend: any Backend, andWith other: any Backend, shape: BackendCheckShape, seed: UInt64 = 1
  ) -> [String] {
    let observed = outputs(of: backend, shape: shape, seed: seed)
    return compare(
      observed, outputs(of: ReferenceBackend(), shape: shape, seed: seed), betweenBackends: false,
      label: "\(backend.name) vs reference, \(shape)")
      + compare(
        observed, outputs(of: other, shape: shape, seed: seed), betweenBackends: true,
        label: "\(backend.name) vs \(other.name), \(shape)")
  }

  static func compare(
    _ observed: [BackendCheckOutput], _ expected: [BackendCheckOutput], betweenBackends: Bool, label: String
  ) -> [String] {
    precondition(observed.map(\.name) == expected.map(\.name))
    return zip(observed, expected).compactMap { o, e in
      let tolerance = betweenBackends ? e.tolerance.betweenBackends : e.tolerance
      return tolerance.mismatches(o.values, e.values, label: "\(label): \(e.name)")
    }
  }

  /// Runs every requirement once on `backend` with inputs drawn from `seed`, in a fixed
  /// order, and returns the outputs (the same list, names and order for every backend).
  public static func outputs(of backend: any Backend, shape s: BackendCheckShape, seed: UInt64 = 1)
    -> [BackendCheckOutput]
  {
    var rng = TestRandom(seed: seed)
    let (n, c, k, h, w, o) = (s.batch, s.channels, s.filters, s.height, s.width, s.denseOutputs)
    let (oh, ow, ph, pw, i) = (h - 2, w - 2, h / 2, w / 2, c * h * w)
    var out: [BackendCheckOutput] = []
    func tensor(_ shape: [Int], _ values: [Float]) -> Tensor { backend.makeTensor(shape, values: values) }
    func garbage(_ shape: [Int]) -> Tensor { tensor(shape, rng.array(shape.reduce(1, *))) }
    func record(_ name: String, _ t: Tensor, _ tolerance: Tolerance) {
      out.append(BackendCheckOutput(name: name, values: backend.download(t), tolerance: tolerance))
    }
    func dot(_ name: String, _ t: Tensor, terms: Int) { record(name, t, DerivedTolerance.gemm(depth: terms)) }
    /// Values with exact zeros, negatives and positives: a ReLU output to route a gradient by.
    func reluLike(_ count: Int) -> [Float] { rng.array(count).enumerated().map { $0 % 5 == 0 ? 0 : $1 } }

    // Convolution; outputs start as garbage that must be overwritten.
    let x = tensor([n, c, h, w], rng.array(n * c * h * w))
    let cw = tensor([k, c, 3, 3], rng.array(k * c * 9))
    let cb = tensor([k], rng.array(k))
    for relu in [false, true] {
      let y = garbage([n, k, oh, ow])
      backend.conv2dForward(input: x, weight: cw, bias: cb, output: y, relu: relu)
      dot("conv2dForward relu=\(relu)", y, terms: c * 9 + 1)
    }
    // The inference block: convolution, ReLU and pooling in one call.
    let pooled = garbage([n, k, oh / 2, ow / 2])
    backend.conv2dReLUPoolForward(
      input: x, weight: cw, bias: cb, output: pooled, convOutput: garbage([n, k, oh, ow]),
      argmax: garbage([n, k, oh / 2, ow / 2]))
    dot("conv2dReLUPoolForward", pooled, terms: c * 9 + 1)
    let dy = garbage([n, k, oh, ow])
    let dx = garbage([n, c, h, w])
    backend.conv2dBackwardInput(outputGrad: dy, weight: cw, inputGrad: dx)
    dot("conv2dBackwardInput", dx, terms: k * 9)
    let dcw = garbage([k, c, 3, 3]), dcb = garbage([k])
    backend.conv2dBackwardWeight(input: x, outputGrad: dy, weightGrad: dcw, biasGrad: dcb)
    dot("conv2dBackwardWeight dw", dcw, terms: n * oh * ow)
    dot("conv2dBackwardWeight db", dcb, terms: n * oh * ow)
    // Again with a dy that is mostly exact zeros, as behind max pooling and ReLU (a backend
    // may skip them); one image keeps a dense dy.
    let sparseDy = tensor(
      [n, k, oh, ow],
      rng.array(n * k * oh * ow).enumerated().map { i, v in
        i < k * oh * ow || i % 5 == 0 ? v : 0
      })
    backend.conv2dBackwardInput(outputGrad: sparseDy, weight: cw, inputGrad: dx)
    dot("conv2dBackwardInput (sparse dy)", dx, terms: k * 9)
    backend.conv2dBackwardWeight(input: x, outputGrad: sparseDy, weightGrad: dcw, biasGrad: dcb)
    dot("conv2dBackwardWeight dw (sparse dy)", dcw, terms: n * oh * ow)
    dot("conv2dBackwardWeight db (sparse dy)", dcb, terms: n * oh * ow)

    // ReLU backward: y holds exact zeros, negatives and positives.
    let yr = tensor([n, k, oh, ow], reluLike(n * k * oh * ow))
    let dyr = garbage([n, k, oh, ow])
    backend.reluBackward(output: yr, outputGrad: dyr)
    record("reluBackward", dyr, DerivedTolerance.exact)

    // Max pooling of x; the backward passes route through the reference's argmax codes so
    // both backends see the same valid input.
    let py = garbage([n, c, ph, pw]), pa = garbage([n, c, ph, pw])
    backend.maxPool2Forward(input: x, output: py, argmax: pa)
    record("maxPool2Forward y", py, DerivedTolerance.exact)
    record("maxPool2Forward argmax", pa, DerivedTolerance.exact)
    let codes = tensor([n, c, ph, pw], referenceArgmax(backend.download(x), n * c, h, w))
    let pdy = garbage([n, c, ph, pw])
    let pdx = garbage([n, c, h, w])
    backend.maxPool2Backward(outputGrad: pdy, argmax: codes, inputGrad: pdx)
    record("maxPool2Backward", pdx, DerivedTolerance.exact)
    let poolRelu = tensor([n, c, h, w], reluLike(n * c * h * w))
    backend.maxPool2Backward(outputGrad: pdy, argmax: codes, inputGrad: pdx, reluOutput: poolRelu)
    record("maxPool2Backward reluOutput", pdx, DerivedTolerance.exact)

    // Dense layer on x flattened.
    let dw = tensor([o, i], rng.array(o * i)), db = tensor([o], rng.array(o))
    for relu in [false, true] {
      let y = garbage([n, o])
      backend.denseForward(input: x, weight: dw, bias: db, output: y, relu: relu)
      dot("denseForward relu=\(relu)", y, terms: i + 1)
    }
    let ddy = garbage([n, o])
    let ddx = garbage([n, c, h, w])
    backend.denseBackwardInput(outputGrad: ddy, weight: dw, inputGrad: ddx)
    dot("denseBackwardInput", ddx, terms: o)
    backend.denseBackwardInput(
      outputGrad: ddy, weight: dw, inputGrad: ddx, reluOutput: tensor([n, c, h, w], reluLike(n * i)))
    dot("denseBackwardInput reluOutput", ddx, terms: o)
    let ddw = garbage([o, i]), ddb = garbage([o])
    backend.denseBackwardWeight(input: x, outputGrad: ddy, weightGrad: ddw, biasGrad: ddb)
    dot("denseBackwardWeight dw", ddw, terms: n)
    dot("denseBackwardWeight db", ddb, terms: n)

    // Softmax and cross-entropy over the classes; stats start non-zero (the ops add to them).
    let classes = s.classes
    let logits = tensor([n, classes], rng.array(n * classes, -4, 4))
    let labels = tensor([n], rng.labels(n, classes: classes))
    let grad = garbage([n, classes])
    let stats = tensor([2], [1.5, 2])
    backend.softmaxCrossEntropy(logits: logits, labels: labels, logitsGrad: grad, stats: stats)
    record("softmaxCrossEntropy grad", grad, DerivedTolerance.softmax)
    out.append(contentsOf: statsOutputs("softmaxCrossEntropy", backend.download(stats)))
    let evalStats = tensor([2], [0.25, 1])
    backend.crossEntropyStats(logits: logits, labels: labels, stats: evalStats)
    out.append(contentsOf: statsOutputs("crossEntropyStats", backend.download(evalStats)))
    let probabilities = garbage([n, classes])
    backend.softmax(logits: logits, probabilities: probabilities)
    record("softmax", probabilities, DerivedTolerance.softmax)

    // Adam on a parameter of odd size (vector body and scalar tail), then on nine of
    // different sizes at once (more than one launch's worth where the backend groups them).
    let count = o * 3 + 5
    let param = tensor([count], rng.array(count)), gradient = tensor([count], rng.array(count))
    let m = tensor([count], rng.array(count, -0.1, 0.1)), v = tensor([count], rng.array(count, 0, 0.1))
    backend.adamUpdate(parameter: param, gradient: gradient, m: m, v: v, step: AdamStep(learningRate: 0.01, step: 3))
    for (name, t) in [("adamUpdate parameter", param), ("adamUpdate m", m), ("adamUpdate v", v)] {
      record(name, t, DerivedTolerance.adam)
    }
    let sizes = (0..<9).map { j in count + 7 * j }
    let all = sizes.map { size in
      (
        p: tensor([size], rng.array(size)), g: tensor([size], rng.array(size)),
        m: tensor([size], rng.array(size, -0.1, 0.1)), v: tensor([size], rng.array(size, 0, 0.1))
      )
    }
    backend.adamUpdate(
      parameters: all.map(\.p), gradients: all.map(\.g), m: all.map(\.m), v: all.map(\.v),
      step: AdamStep(learningRate: 0.01, step: 5))
    for (j, t) in all.enumerated() {
      for (name, tensor) in [("parameter", t.p), ("m", t.m), ("v", t.v)] {
        record("adamUpdate (all) \(j) \(name)", tensor, DerivedTolerance.adam)
      }
    }

    out += gatherOutputs(of: backend, shape: s, rng: &rng)
    backend.synchronize()
    return out
  }

  /// The data ops: an image set of H x W bytes, a shuffled order, a batch of N from an
  /// offset (exact: bytes / 255 either way), and a batch of 28 x 28 digit-like strokes gathered
  /// with every step of `--recipe best`'s device augmentation on every image (each pixel
  /// within `DerivedTolerance.augmentedPixel` of the host reference).
  /// Labels of the data ops range over every class a network may have, so a label that
  /// does not fit a byte must arrive whole.
  static let widestLabel = SeedNetwork.classRange.upperBound

  static func gatherOutputs(of backend: any Backend, shape s: BackendCheckShape, rng: inout TestRandom)
    -> [BackendCheckOutput]
  {
    let (n, h, w) = (s.batch, s.height, s.width)
    let count = 2 * n + 3
    let bytes = LabeledImages(
      images: (0..<(count * h * w)).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
      labels: rng.labels(count, classes: Self.widestLabel).map { LabeledImages.Label($0) }, rows: h, columns: w)
    var order = Array(0..<count)
    for j in stride(from: count - 1, to: 0, by: -1) { order.swapAt(j, Int(rng.next() % UInt64(j + 1))) }
    let set = backend.makeImageSet(bytes)
    backend.setOrder(order, of: set)
    let pixels = backend.makeTensor([n, 1, h, w]), labels = backend.makeTensor([n])
    backend.gather(set, start: n + 1, pixels: pixels, labels: labels)
    backend.flush()
    var out = [
      BackendCheckOutput(name: "gather pixels", values: backend.download(pixels), tolerance: DerivedTolerance.exact),
      BackendCheckOutput(name: "gather labels", values: backend.download(labels), tolerance: DerivedTolerance.exact),
    ]

    let batch = 8
    let digits = LabeledImages(
      images: (0..<batch).flatMap { _ in strokes(&rng) },
      labels: rng.labels(batch, classes: Self.widestLabel).map { LabeledImages.Label($0) },
      rows: MNISTShape.side, columns: MNISTShape.side)
    let digitSet = backend.makeImageSet(digits)
    backend.setOrder(Array((0..<batch).reversed()), of: digitSet)
    let augmented = backend.makeTensor([batch, 1, MNISTShape.side, MNISTShape.side])
    let augmentedLabels = backend.makeTensor([batch])
    var generator = SeededGenerator(seed: rng.next())
    // The device part and its host reference, so every backend computes the same.
    let augmentation = BatchAugmentation(device: everyStep.device, host: everyStep.deviceBatchFunction)
    backend.gather(
      digitSet, start: 0, pixels: augmented, labels: augmentedLabels, augmentation: augmentation, rng: &generator)
    out.append(
      BackendCheckOutput(
        name: "gather augmented pixels", values: backend.download(augmented),
        tolerance: DerivedTolerance.augmentedPixel))
    out.append(
      BackendCheckOutput(
        name: "gather augmented labels", values: backend.download(augmentedLabels), tolerance: DerivedTolerance.exact))
    return out
  }

  /// `--recipe best` as a device does it, every step on every image (all probabilities 1),
  /// so each runs on top of all the others.
  public static let everyStep: Augmentation = {
    var a = Augmentation.bestOnDevice
    a.affineProbability = 1
    a.thicknessProbability = 1
    a.relayoutProbability = 1
    a.blurProbability = 1
    a.noiseProbability = 1
    return a
  }()

  /// A 28 x 28 image of three thick strokes between random points, off-centre and of random
  /// grey, on a black background: something for the augmentation to find, warp and relayout.
  static func strokes(_ rng: inout TestRandom) -> [UInt8] {
    let side = MNISTShape.side
    var image = [Float](repeating: 0, count: side * side)
    for _ in 0..<3 {
      let (x0, y0) = (rng.uniform(4, 20), rng.uniform(4, 24))
      let (x1, y1) = (rng.uniform(4, 20), rng.uniform(4, 24))
      let ink = rng.uniform(0.6, 1)
      for step in 0...40 {
        let t = Float(step) / 40
        let (cx, cy) = (x0 + t * (x1 - x0), y0 + t * (y1 - y0))
        for y in 0..<side {
          for x in 0..<side {
            let d = ((Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy)).squareRoot()
            image[y * side + x] = max(image[y * side + x], ink * min(1, max(0, 2.2 - d)))
          }
        }
      }
    }
    return image.map { UInt8(($0 * 255).rounded()) }
  }

  /// stats = (loss sum, correct count).
  static func statsOutputs(_ op: String, _ stats: [Float]) -> [BackendCheckOutput] {
    [
      BackendCheckOutput(name: "\(op) loss", values: [stats[0]], tolerance: DerivedTolerance.loss),
      BackendCheckOutput(name: "\(op) correct", values: [stats[1]], tolerance: DerivedTolerance.exact),
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
