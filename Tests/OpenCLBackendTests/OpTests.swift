import DigitsCore
import Foundation
import OpenCLBackend
import Testing
import _TestSupport

/// Every Backend op, forward and backward, OpenCL against the Float64 reference, on odd
/// shapes (batch 1, 3 and 127, channel counts that are not multiples of any tile), on every
/// device and with each tuning of `OpenCLTestDevice.tunings` the device takes. rusticl gets
/// the shapes of at most `slowDeviceWork` multiply-adds (it is 10-50x slower than PoCL).
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct OpTests {
  typealias Target = OpenCLTestDevice.Target
  static let slowDeviceWork = 200_000

  /// Every target with every shape it runs; `work` gives a shape's size in multiply-adds.
  static func cases(_ shapes: [[Int]], tunings: [Int]? = nil, work: ([Int]) -> Int) -> [(Target, [Int])] {
    let targets = tunings.map { OpenCLTestDevice.targets(tunings: $0) } ?? OpenCLTestDevice.targets()
    return targets.flatMap { target in
      shapes.filter { target.isFast || work($0) <= slowDeviceWork }.map { (target, $0) }
    }
  }

  static func devices(_ values: [Int], work: (Int) -> Int) -> [(Int, Int)] {
    OpenCLTestDevice.indices.flatMap { device in
      values.filter { OpenCLTestDevice.isFast(device) || work($0) <= slowDeviceWork }.map { (device, $0) }
    }
  }

  /// (n, c, h, w, k): tiny, odd, batch 127, and the two layers of the seed network.
  static let convShapes: [[Int]] = [
    [1, 1, 5, 5, 1], [3, 5, 9, 8, 7], [127, 2, 6, 7, 3], [2, 1, 28, 28, 32], [2, 32, 13, 13, 64],
  ]

  @Test(arguments: cases(convShapes) { $0[0] * $0[1] * $0[2] * $0[3] * $0[4] * 9 })
  func conv2d(target: Target, shape: [Int]) throws {
    let backend = try target.backend()
    let (n, c, h, w, k) = (shape[0], shape[1], shape[2], shape[3], shape[4])
    let (xs, ws, ys) = ([n, c, h, w], [k, c, 3, 3], [n, k, h - 2, w - 2])
    var rng = TestRandom(seed: UInt64(n * 1000 + c * 100 + k))
    let x = rng.array(n * c * h * w)
    let wt = rng.array(k * c * 9)
    let b = rng.array(k)
    let dy = rng.array(n * k * (h - 2) * (w - 2))
    for relu in [false, true] {
      OpCase(
        label: "conv2dForward relu=\(relu) \(shape)", shapes: [xs, ws, [k], ys],
        values: [x, wt, b, [Float](repeating: 7, count: ys.reduce(1, *))],
        outputs: [.init(index: 3, name: "y", tolerance: DerivedTolerance.gemm(depth: c * 9))]
      ) { be, t in be.conv2dForward(input: t[0], weight: t[1], bias: t[2], output: t[3], relu: relu) }
      .check(on: backend)
    }
    OpCase(
      label: "conv2dBackwardInput \(shape)", shapes: [ys, ws, xs],
      values: [dy, wt, [Float](repeating: 7, count: x.count)],
      outputs: [.init(index: 2, name: "dx", tolerance: DerivedTolerance.gemm(depth: k * 9))]
    ) { be, t in be.conv2dBackwardInput(outputGrad: t[0], weight: t[1], inputGrad: t[2]) }
    .check(on: backend)
    let pixels = n * (h - 2) * (w - 2)
    OpCase(
      label: "conv2dBackwardWeight \(shape)", shapes: [xs, ys, ws, [k]],
      values: [x, dy, [Float](repeating: 7, count: wt.count), [Float](repeating: 7, count: k)],
      outputs: [
        .init(index: 2, name: "dw", tolerance: DerivedTolerance.gemm(depth: pixels)),
        .init(index: 3, name: "db", tolerance: DerivedTolerance.gemm(depth: pixels, meanAbsProduct: 0.5)),
      ]
    ) { be, t in be.conv2dBackwardWeight(input: t[0], outputGrad: t[1], weightGrad: t[2], biasGrad: t[3]) }
    .check(on: backend)
  }

  /// (n, o, input shape after the batch axis).
  static let denseShapes: [[Int]] = [
    [1, 1, 1], [3, 10, 37], [127, 33, 65], [5, 17, 3, 4, 4], [2, 128, 64, 5, 5], [127, 10, 128],
    [128, 128, 64, 5, 5],
  ]

  @Test(arguments: cases(denseShapes) { $0.reduce(1, *) })
  func dense(target: Target, shape: [Int]) throws {
    let backend = try target.backend()
    let (n, o) = (shape[0], shape[1])
    let xs = [n] + shape[2...]
    let i = shape[2...].reduce(1, *)
    var rng = TestRandom(seed: UInt64(n * 1000 + o * 10 + i))
    let x = rng.array(n * i)
    let w = rng.array(o * i)
    let b = rng.array(o)
    let dy = rng.array(n * o)
    for relu in [false, true] {
      OpCase(
        label: "denseForward relu=\(relu) \(shape)", shapes: [xs, [o, i], [o], [n, o]],
        values: [x, w, b, [Float](repeating: 7, count: n * o)],
        outputs: [.init(index: 3, name: "y", tolerance: DerivedTolerance.gemm(depth: i))]
      ) { be, t in be.denseForward(input: t[0], weight: t[1], bias: t[2], output: t[3], relu: relu) }
      .check(on: backend)
    }
    OpCase(
      label: "denseBackwardInput \(shape)", shapes: [[n, o], [o, i], xs],
      values: [dy, w, [Float](repeating: 7, count: x.count)],
      outputs: [.init(index: 2, name: "dx", tolerance: DerivedTolerance.gemm(depth: o))]
    ) { be, t in be.denseBackwardInput(outputGrad: t[0], weight: t[1], inputGrad: t[2]) }
    .check(on: backend)
    OpCase(
      label: "denseBackwardWeight \(shape)", shapes: [xs, [n, o], [o, i], [o]],
      values: [x, dy, [Float](repeating: 7, count: w.count), [Float](repeating: 7, count: o)],
      outputs: [
        .init(index: 2, name: "dw", tolerance: DerivedTolerance.gemm(depth: n)),
        .init(index: 3, name: "db", tolerance: DerivedTolerance.gemm(depth: n, meanAbsProduct: 0.5)),
      ]
    ) { be, t in be.denseBackwardWeight(input: t[0], outputGrad: t[1], weightGrad: t[2], biasGrad: t[3]) }
    .check(on: backend)
  }

  /// (n, c, h, w), with odd sizes whose last row and column are dropped.
  static let poolShapes: [[Int]] = [[1, 1, 2, 2], [3, 5, 7, 9], [127, 3, 6, 6], [2, 32, 26, 26], [1, 2, 1, 5]]

  @Test(arguments: cases(poolShapes, tunings: [0]) { $0.reduce(1, *) })
  func maxPool2(target: Target, shape: [Int]) throws {
    let backend = try target.backend()
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let ys = [n, c, h / 2, w / 2]
    var rng = TestRandom(seed: UInt64(n * c * h * w))
    let x = rng.coarse(n * c * h * w)
    let dy = rng.array(ys.reduce(1, *))
    OpCase(
      label: "maxPool2Forward \(shape)", shapes: [shape, ys, ys],
      values: [x, [Float](repeating: 7, count: dy.count), [Float](repeating: 7, count: dy.count)],
      outputs: [
        .init(index: 1, name: "y", tolerance: DerivedTolerance.exact),
        .init(index: 2, name: "argmax", tolerance: DerivedTolerance.exact),
      ]
    ) { be, t in be.maxPool2Forward(input: t[0], output: t[1], argmax: t[2]) }
    .check(on: backend)
    // Backward from the reference's argmax, so the routing is checked on its own.
    let reference = ReferenceBackend()
    let (rx, ry, ra) = (reference.makeTensor(shape, values: x), reference.makeTensor(ys), reference.makeTensor(ys))
    reference.maxPool2Forward(input: rx, output: ry, argmax: ra)
    OpCase(
      label: "maxPool2Backward \(shape)", shapes: [ys, ys, shape],
      values: [dy, reference.download(ra), [Float](repeating: 7, count: x.count)],
      outputs: [.init(index: 2, name: "dx", tolerance: DerivedTolerance.exact)]
    ) { be, t in be.maxPool2Backward(outputGrad: t[0], argmax: t[1], inputGrad: t[2]) }
    .check(on: backend)
  }

  @Test(arguments: devices([1, 7, 1000]) { $0 })
  func reluBackward(device: Int, count: Int) throws {
    let backend = try OpenCLTestDevice.backend(device)
    var rng = TestRandom(seed: UInt64(count))
    OpCase(
      label: "reluBackward \(count)", shapes: [[count], [count]], values: [rng.coarse(count), rng.array(count)],
      outputs: [.init(index: 1, name: "dy", tolerance: DerivedTolerance.exact)]
    ) { be, t in be.reluBackward(output: t[0], outputGrad: t[1]) }
    .check(on: backend)
  }

  @Test(arguments: cases([[1], [3], [127], [300]]) { $0[0] * 100 })
  func softmaxCrossEntropy(target: Target, shape: [Int]) throws {
    let n = shape[0]
    let backend = try target.backend()
    var rng = TestRandom(seed: UInt64(n))
    // Scaled logits, with some rows tied so the argmax tie-break is exercised.
    var logits = rng.array(n * 10).map { $0 * 6 }
    for r in stride(from: 0, to: n, by: 4) { logits[r * 10 + 3] = logits[r * 10 + 7] }
    let labels = rng.labels(n)
    let stats: [Float] = [1.5, 2]  // ops ADD to stats
    OpCase(
      label: "softmaxCrossEntropy n=\(n)", shapes: [[n, 10], [n], [n, 10], [2]],
      values: [logits, labels, [Float](repeating: 7, count: n * 10), stats],
      outputs: [
        .init(index: 2, name: "dlogits", tolerance: DerivedTolerance.softmax),
        .init(index: 3, name: "stats", tolerance: DerivedTolerance.loss),
      ]
    ) { be, t in be.softmaxCrossEntropy(logits: t[0], labels: t[1], logitsGrad: t[2], stats: t[3]) }
    .check(on: backend)
    OpCase(
      label: "crossEntropyStats n=\(n)", shapes: [[n, 10], [n], [2]], values: [logits, labels, stats],
      outputs: [.init(index: 2, name: "stats", tolerance: DerivedTolerance.loss)]
    ) { be, t in be.crossEntropyStats(logits: t[0], labels: t[1], stats: t[2]) }
    .check(on: backend)
    OpCase(
      label: "softmax n=\(n)", shapes: [[n, 10], [n, 10]], values: [logits, [Float](repeating: 7, count: n * 10)],
      outputs: [.init(index: 1, name: "p", tolerance: DerivedTolerance.softmax)]
    ) { be, t in be.softmax(logits: t[0], probabilities: t[1]) }
    .check(on: backend)
  }

  @Test(arguments: devices([1, 1000]) { $0 })
  func adamUpdate(device: Int, count: Int) throws {
    let backend = try OpenCLTestDevice.backend(device)
    var rng = TestRandom(seed: UInt64(count))
    let p = rng.array(count)
    let g = rng.array(count)
    let m = rng.array(count, -0.1, 0.1)
    let v = rng.array(count, 0, 0.01)
    for t in [1, 2, 50] {
      OpCase(
        label: "adamUpdate t=\(t) count=\(count)", shapes: [[count], [count], [count], [count]], values: [p, g, m, v],
        outputs: [
          .init(index: 0, name: "p", tolerance: DerivedTolerance.adam),
          .init(index: 2, name: "m", tolerance: DerivedTolerance.adam),
          .init(index: 3, name: "v", tolerance: DerivedTolerance.adam),
        ]
      ) { be, x in
        be.adamUpdate(parameter: x[0], gradient: x[1], m: x[2], v: x[3], step: AdamStep(learningRate: 1e-3, step: t))
      }
      .check(on: backend)
    }
  }
}
