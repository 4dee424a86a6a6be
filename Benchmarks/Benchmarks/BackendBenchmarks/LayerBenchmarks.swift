import Benchmark
import CPUBackend
import DigitsCore
import OpenCLBackend

/// The seed network's tensors at batch `n` on one backend, filled with pseudo-random values.
final class NetworkTensors {
  let backend: any Backend
  let n: Int
  let x, w1, b1, y1, p1, a1, w2, b2, y2, p2, a2, w3, b3, h, w4, b4, logits: Tensor
  let dw1, db1, dw2, db2, dw3, db3, dw4, db4: Tensor
  let dy1, dp1, dy2, dp2, dh, dlogits, labels, stats: Tensor
  /// Adam moments, one pair per parameter.
  var moments: [(m: Tensor, v: Tensor)] = []

  init(backend: any Backend, batch n: Int) {
    self.backend = backend
    self.n = n
    func t(_ shape: [Int]) -> Tensor { backend.makeTensor(shape, values: randomValues(shape.reduce(1, *))) }
    (x, w1, b1, y1) = (t([n, 1, 28, 28]), t([32, 1, 3, 3]), t([32]), t([n, 32, 26, 26]))
    (p1, a1) = (t([n, 32, 13, 13]), backend.makeTensor([n, 32, 13, 13]))
    (w2, b2, y2) = (t([64, 32, 3, 3]), t([64]), t([n, 64, 11, 11]))
    (p2, a2) = (t([n, 64, 5, 5]), backend.makeTensor([n, 64, 5, 5]))
    (w3, b3, h, w4, b4, logits) = (t([128, 1600]), t([128]), t([n, 128]), t([10, 128]), t([10]), t([n, 10]))
    (dw1, db1, dw2, db2) = (t([32, 1, 3, 3]), t([32]), t([64, 32, 3, 3]), t([64]))
    (dw3, db3, dw4, db4) = (t([128, 1600]), t([128]), t([10, 128]), t([10]))
    (dy1, dp1, dy2, dp2) = (t([n, 32, 26, 26]), t([n, 32, 13, 13]), t([n, 64, 11, 11]), t([n, 64, 5, 5]))
    (dh, dlogits, stats) = (t([n, 128]), t([n, 10]), backend.makeTensor([2]))
    labels = backend.makeTensor([n], values: (0..<n).map { Float($0 % 10) })
    moments = parameters.map { (p, _) in (backend.makeTensor(p.shape), backend.makeTensor(p.shape)) }
  }

  var parameters: [(parameter: Tensor, gradient: Tensor)] {
    [(w1, dw1), (b1, db1), (w2, dw2), (b2, db2), (w3, dw3), (b3, db3), (w4, dw4), (b4, db4)]
  }

  func forward() {
    let b = backend
    b.conv2dForward(input: x, weight: w1, bias: b1, output: y1, relu: true)
    b.maxPool2Forward(input: y1, output: p1, argmax: a1)
    b.conv2dForward(input: p1, weight: w2, bias: b2, output: y2, relu: true)
    b.maxPool2Forward(input: y2, output: p2, argmax: a2)
    b.denseForward(input: p2, weight: w3, bias: b3, output: h, relu: true)
    b.denseForward(input: h, weight: w4, bias: b4, output: logits, relu: false)
  }

  /// The seed network's backward pass, in its order (no input gradient for the first layer).
  func backward() {
    let b = backend
    b.softmaxCrossEntropy(logits: logits, labels: labels, logitsGrad: dlogits, stats: stats)
    b.denseBackwardWeight(input: h, outputGrad: dlogits, weightGrad: dw4, biasGrad: db4)
    b.denseBackwardInput(outputGrad: dlogits, weight: w4, inputGrad: dh)
    b.reluBackward(output: h, outputGrad: dh)
    b.denseBackwardWeight(input: p2, outputGrad: dh, weightGrad: dw3, biasGrad: db3)
    b.denseBackwardInput(outputGrad: dh, weight: w3, inputGrad: dp2)
    b.maxPool2Backward(outputGrad: dp2, argmax: a2, inputGrad: dy2)
    b.reluBackward(output: y2, outputGrad: dy2)
    b.conv2dBackwardWeight(input: p1, outputGrad: dy2, weightGrad: dw2, biasGrad: db2)
    b.conv2dBackwardInput(outputGrad: dy2, weight: w2, inputGrad: dp1)
    b.maxPool2Backward(outputGrad: dp1, argmax: a1, inputGrad: dy1)
    b.reluBackward(output: y1, outputGrad: dy1)
    b.conv2dBackwardWeight(input: x, outputGrad: dy1, weightGrad: dw1, biasGrad: db1)
  }

  func adam(step: Int) {
    let s = AdamStep(learningRate: 0.001, step: step)
    for (i, (p, g)) in parameters.enumerated() {
      backend.adamUpdate(parameter: p, gradient: g, m: moments[i].m, v: moments[i].v, step: s)
    }
  }
}

/// One benchmark per layer op at batch 128, on the tensors of a real training step, plus a
/// whole training step (forward, backward, Adam) and an evaluation forward pass, on the
/// backend `make` creates; `label` names it ("threads=2", "opencl=0 NVIDIA H100").
func layerBenchmarks(label: String, make: @escaping @Sendable () -> any Backend) {
  let n = 128
  let conv1 = 2.0 * Double(n * 32 * 9 * 26 * 26), conv2 = 2.0 * Double(n * 64 * 288 * 121)
  let dense1 = 2.0 * Double(n * 1600 * 128)
  let ops: [(name: String, flops: Double, run: (NetworkTensors) -> Void)] = [
    (
      "conv1 forward", conv1,
      { t in t.backend.conv2dForward(input: t.x, weight: t.w1, bias: t.b1, output: t.y1, relu: true) }
    ),
    (
      "conv1 backward weight", conv1,
      { t in t.backend.conv2dBackwardWeight(input: t.x, outputGrad: t.dy1, weightGrad: t.dw1, biasGrad: t.db1) }
    ),
    ("pool1 forward", 0, { t in t.backend.maxPool2Forward(input: t.y1, output: t.p1, argmax: t.a1) }),
    ("pool1 backward", 0, { t in t.backend.maxPool2Backward(outputGrad: t.dp1, argmax: t.a1, inputGrad: t.dy1) }),
    ("relu1 backward", 0, { t in t.backend.reluBackward(output: t.y1, outputGrad: t.dy1) }),
    (
      "conv2 forward", conv2,
      { t in t.backend.conv2dForward(input: t.p1, weight: t.w2, bias: t.b2, output: t.y2, relu: true) }
    ),
    (
      "conv2 backward input", conv2,
      { t in t.backend.conv2dBackwardInput(outputGrad: t.dy2, weight: t.w2, inputGrad: t.dp1) }
    ),
    (
      "conv2 backward weight", conv2,
      { t in t.backend.conv2dBackwardWeight(input: t.p1, outputGrad: t.dy2, weightGrad: t.dw2, biasGrad: t.db2) }
    ),
    ("pool2 forward", 0, { t in t.backend.maxPool2Forward(input: t.y2, output: t.p2, argmax: t.a2) }),
    ("pool2 backward", 0, { t in t.backend.maxPool2Backward(outputGrad: t.dp2, argmax: t.a2, inputGrad: t.dy2) }),
    (
      "dense1 forward", dense1,
      { t in t.backend.denseForward(input: t.p2, weight: t.w3, bias: t.b3, output: t.h, relu: true) }
    ),
    (
      "dense1 backward input", dense1,
      { t in t.backend.denseBackwardInput(outputGrad: t.dh, weight: t.w3, inputGrad: t.dp2) }
    ),
    (
      "dense1 backward weight", dense1,
      { t in t.backend.denseBackwardWeight(input: t.p2, outputGrad: t.dh, weightGrad: t.dw3, biasGrad: t.db3) }
    ),
    ("adam (8 parameters)", 0, { t in t.adam(step: 3) }),
    ("evaluation forward", 0, { t in t.forward() }),
    (
      "training step", 0,
      { t in
        t.forward()
        t.backward()
        t.adam(step: 3)
      }
    ),
  ]
  for op in ops {
    Benchmark("\(op.name) N=\(n) \(label)") { benchmark in
      let tensors = NetworkTensors(backend: make(), batch: n)
      // One real step first: gradients behind pooling and ReLU are mostly zeros, which the
      // convolution backward passes exploit, and the argmax codes must be valid.
      tensors.forward()
      tensors.backward()
      op.run(tensors)  // grows the scratch memory
      tensors.backend.synchronize()
      benchmark.startMeasurement()
      measure(benchmark, flops: op.flops) {
        op.run(tensors)
        tensors.backend.synchronize()  // OpenCL queues work: time it to the end
      }
      benchmark.stopMeasurement()
    }
  }
}
