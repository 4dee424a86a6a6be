import CPUBackend
import DigitsCore
import Testing
import _TestSupport

/// The CPU backend defers max-pool backward passes (the unpooled gradient is written only
/// when something reads it, ReLU backward masks it at pooled resolution, the convolution
/// backward passes unpool one image at a time). These run op sequences on the CPU backend
/// and on the reference, which does everything eagerly, and compare what comes out.
@Suite struct DeferredUnpoolTests {
  /// Runs `program` on a fresh backend and returns the tensors it asks to read, in order.
  static func run(_ backend: any Backend, _ program: (any Backend, inout TestRandom, (String, Tensor) -> Void) -> Void)
    -> [(String, [Float])]
  {
    var rng = TestRandom(seed: 99)
    var out: [(String, [Float])] = []
    program(backend, &rng) { name, t in out.append((name, backend.download(t))) }
    return out
  }

  static func expectAgreement(
    threads: Int, atol: Float = 1e-4, rtol: Float = 1e-4,
    _ program: (any Backend, inout TestRandom, (String, Tensor) -> Void) -> Void
  ) {
    let observed = run(CPUBackend(threads: threads), program), expected = run(ReferenceBackend(), program)
    #expect(observed.map(\.0) == expected.map(\.0))
    for (o, e) in zip(observed, expected) {
      let report = mismatchReport(o.1, e.1, atol: atol, rtol: rtol, label: o.0)
      #expect(report == nil, "\(report ?? "")")
    }
  }

  /// conv (ReLU) -> pool -> pool backward -> ReLU backward -> conv weight and input
  /// gradients, as in training: the deferred path end to end (direct and GEMM convolutions,
  /// odd sizes so pooling drops a row and a column).
  @Test(arguments: [(1, 5, 13, 11), (6, 7, 9, 12)], [1, 2])
  func trainingSequence(shape: (Int, Int, Int, Int), threads: Int) {
    Self.expectAgreement(threads: threads) { b, rng, read in
      let n = 3, (c, k, h, w) = shape, (oh, ow) = (h - 2, w - 2)
      let x = b.makeTensor([n, c, h, w], values: rng.array(n * c * h * w))
      let wt = b.makeTensor([k, c, 3, 3], values: rng.array(k * c * 9)), bias = b.makeTensor([k], values: rng.array(k))
      let y = b.makeTensor([n, k, oh, ow]), p = b.makeTensor([n, k, oh / 2, ow / 2]), a = b.makeTensor(p.shape)
      b.conv2dForward(input: x, weight: wt, bias: bias, output: y, relu: true)
      b.maxPool2Forward(input: y, output: p, argmax: a)
      let dp = b.makeTensor(p.shape, values: rng.array(p.count)), dy = b.makeTensor(y.shape)
      b.maxPool2Backward(outputGrad: dp, argmax: a, inputGrad: dy)
      b.reluBackward(output: y, outputGrad: dy)
      let dw = b.makeTensor(wt.shape), db = b.makeTensor([k]), dx = b.makeTensor(x.shape)
      b.conv2dBackwardWeight(input: x, outputGrad: dy, weightGrad: dw, biasGrad: db)
      b.conv2dBackwardInput(outputGrad: dy, weight: wt, inputGrad: dx)
      // The next step overwrites the pooling outputs while dy is still deferred.
      b.conv2dForward(input: x, weight: wt, bias: bias, output: y, relu: false)
      b.maxPool2Forward(input: y, output: p, argmax: a)
      read("dw", dw)
      read("db", db)
      read("dx", dx)
      read("dy after its sources changed", dy)
    }
  }

  /// The sources of a deferred gradient are overwritten before anyone reads it.
  @Test func sourcesOverwrittenBeforeRead() {
    Self.expectAgreement(threads: 2, atol: 0, rtol: 0) { b, rng, read in
      let x = b.makeTensor([2, 3, 8, 7], values: rng.array(2 * 3 * 8 * 7))
      let p = b.makeTensor([2, 3, 4, 3]), a = b.makeTensor(p.shape)
      b.maxPool2Forward(input: x, output: p, argmax: a)
      let dp = b.makeTensor(p.shape, values: rng.array(p.count)), dx = b.makeTensor(x.shape)
      b.maxPool2Backward(outputGrad: dp, argmax: a, inputGrad: dx)
      rng.array(p.count).withUnsafeBufferPointer { b.upload($0, to: dp) }
      b.zero(a)
      read("dx", dx)
      read("dp", dp)
    }
  }

  /// ReLU backward on a deferred gradient whose pooling input changed since pooling: the
  /// pooled mask no longer applies.
  @Test func reluAfterPoolingInputChanged() {
    Self.expectAgreement(threads: 1, atol: 0, rtol: 0) { b, rng, read in
      let y = b.makeTensor([2, 2, 6, 6], values: rng.array(144))
      let p = b.makeTensor([2, 2, 3, 3]), a = b.makeTensor(p.shape)
      b.maxPool2Forward(input: y, output: p, argmax: a)
      let dp = b.makeTensor(p.shape, values: rng.array(p.count)), dy = b.makeTensor(y.shape)
      b.maxPool2Backward(outputGrad: dp, argmax: a, inputGrad: dy)
      rng.array(144).withUnsafeBufferPointer { b.upload($0, to: y) }
      b.reluBackward(output: y, outputGrad: dy)
      read("dy", dy)
    }
  }

  /// A deferred gradient used by an op that does not know about deferral, overwritten, and
  /// masked twice.
  @Test func otherConsumers() {
    Self.expectAgreement(threads: 2) { b, rng, read in
      let y = b.makeTensor([4, 3, 6, 5], values: rng.array(360))
      let p = b.makeTensor([4, 3, 3, 2]), a = b.makeTensor(p.shape)
      b.maxPool2Forward(input: y, output: p, argmax: a)
      let dp = b.makeTensor(p.shape, values: rng.array(p.count)), dy = b.makeTensor(y.shape)
      b.maxPool2Backward(outputGrad: dp, argmax: a, inputGrad: dy)
      b.reluBackward(output: y, outputGrad: dy)
      b.reluBackward(output: y, outputGrad: dy)
      let w = b.makeTensor([7, 90], values: rng.array(630)), bias = b.makeTensor([7]), out = b.makeTensor([4, 7])
      b.denseForward(input: dy, weight: w, bias: bias, output: out, relu: false)
      read("dense of dy", out)
      b.maxPool2Backward(outputGrad: dp, argmax: a, inputGrad: dy)
      b.zero(dy)
      read("zeroed", dy)
    }
  }
}
