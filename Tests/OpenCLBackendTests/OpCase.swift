import DigitsCore
import OpenCLBackend
import Testing
import _TestSupport

/// One op on host inputs, run the same way on every backend: tensors of `shapes` are made
/// from `values`, `op` runs, and the tensors listed in `outputs` are downloaded and compared
/// under their tolerance.
struct OpCase {
  struct Output {
    let index: Int
    let name: String
    let atol: Float
    let rtol: Float
  }

  let label: String
  var shapes: [[Int]]
  var values: [[Float]]
  var outputs: [Output]
  let op: (any Backend, [Tensor]) -> Void

  func run(on backend: any Backend) -> [[Float]] {
    let tensors = zip(shapes, values).map { shape, values in backend.makeTensor(shape, values: values) }
    op(backend, tensors)
    return outputs.map { backend.download(tensors[$0.index]) }
  }

  /// Runs on the Float64 reference and on `backend`; records one issue per output that
  /// disagrees (shape/count first, then values) with the reference.
  func check(
    on backend: any Backend, against reference: any Backend = ReferenceBackend(),
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let expected = run(on: reference)
    let observed = run(on: backend)
    for (k, output) in outputs.enumerated() {
      let what = "\(label) \(output.name) on \(backend.name) vs \(reference.name)"
      if let report = mismatchReport(observed[k], expected[k], atol: output.atol, rtol: output.rtol, label: what) {
        Issue.record(Comment(rawValue: report), sourceLocation: sourceLocation)
      }
    }
  }
}

extension TestRandom {
  /// Values on a grid of quarters in [-1, 1], so max pooling and ReLU see ties and zeros.
  mutating func coarse(_ count: Int) -> [Float] {
    (0..<count).map { _ in (uniform(-1, 1) * 4).rounded() / 4 }
  }
}

/// Tolerances derived from the operations, so they hold on any conforming OpenCL driver
/// (GPU or CPU), not only on the one they were measured on.
///
/// A GEMM or convolution output is a dot product s = sum of K products a_i b_i (plus a bias).
/// In Float32 with unit roundoff u = 2^-24, in any summation order (tiles, split-K slices,
/// tree reductions) and with or without fused multiply-add (which rounds once instead of
/// twice), the computed value obeys |s^ - s| <= gamma_K * sum |a_i b_i| with
/// gamma_K = K u / (1 - K u) (Higham, Accuracy and Stability of Numerical Algorithms, 3.1).
/// That worst case is K times too loose to catch a wrong index. Rounding errors of
/// different orders behave as independent, mean-zero variables, which gives the
/// probabilistic bound lambda * sqrt(K) * u * sum |a_i b_i| (Higham and Mary, SIAM J. Sci.
/// Comput. 41(5), 2019), exceeded with probability below 2 exp(-lambda^2 / 2): lambda = 6
/// gives 3e-8 per element. The tests' inputs are uniform in [-1, 1], so E|a_i b_i| = 1/4
/// and sum |a_i b_i| is about K / 4; the reference is Float64 (its own error is negligible).
///
/// The elementwise ops use OpenCL C's documented accuracy (OpenCL 1.2, 7.4, full profile,
/// without -cl-fast-relaxed-math): exp and log within 3 ulp, division 2.5 ulp, sqrt 3 ulp.
/// Softmax p_j = exp(l_j - max) / sum exp(.) then carries (3 + 2.5 + K) ulp relative (the
/// K-term sum), cross-entropy log(sum) - l adds 3 ulp of log(sum); Adam's step
/// m / (sqrt(v) + eps) carries 3 + 2.5 + 2 ulp of the step, which is at most the learning rate.
enum DerivedTolerance {
  static let u: Float = 0x1p-24
  static let lambda: Float = 6

  /// Absolute tolerance of a K-term dot product of inputs uniform in [-1, 1].
  static func dot(depth k: Int, meanAbsProduct: Float = 0.25) -> Float {
    lambda * Float(k).squareRoot() * u * Float(k) * meanAbsProduct + u
  }
}
