import DigitsCore

/// Compares `observed` with `expected` element-wise under |o - e| <= atol + rtol * |e|.
/// Returns nil when they agree, else a message with the counts, the first few mismatches and
/// the largest error with its index, for the test to report.
public func mismatchReport(
  _ observed: [Float], _ expected: [Float], atol: Float, rtol: Float, label: String = ""
) -> String? {
  guard observed.count == expected.count else {
    return "\(label): count \(observed.count), expected \(expected.count)"
  }
  var bad: [String] = []
  var worst: (error: Float, index: Int) = (0, -1)
  var badCount = 0
  for i in 0..<observed.count {
    let (o, e) = (observed[i], expected[i])
    let err = abs(o - e)
    if err.isNaN ? !worst.error.isNaN : err > worst.error { worst = (err, i) }
    if !(err <= atol + rtol * abs(e)) {
      badCount += 1
      if bad.count < 5 { bad.append("[\(i)] observed \(o) expected \(e) error \(err)") }
    }
  }
  if badCount == 0 { return nil }
  return
    "\(label): \(badCount) of \(observed.count) outside atol \(atol) rtol \(rtol); max error \(worst.error) at [\(worst.index)]; "
    + bad.joined(separator: "; ")
}

/// An element-wise bound: |observed - expected| <= atol + rtol * |expected|. NaN or an
/// infinity on either side is never within it.
public struct Tolerance: Sendable, CustomStringConvertible {
  public var atol: Float
  public var rtol: Float

  public init(atol: Float, rtol: Float) {
    (self.atol, self.rtol) = (atol, rtol)
  }

  /// Twice as loose: two Float32 backends compared with each other, each within the bound of
  /// the reference.
  public var betweenBackends: Tolerance { Tolerance(atol: 2 * atol, rtol: 2 * rtol) }

  public var description: String { "atol \(atol) rtol \(rtol)" }

  /// `mismatchReport` under this bound.
  public func mismatches(_ observed: [Float], _ expected: [Float], label: String) -> String? {
    mismatchReport(observed, expected, atol: atol, rtol: rtol, label: label)
  }
}

/// The one set of agreement bounds the op tests, `BackendChecks` and `digits devices --check`
/// hold every backend to, derived from the operations (docs/PERFORMANCE.md, "Agreement
/// tolerances, derived"), so they hold on any conforming OpenCL driver (GPU or CPU), not only
/// on the one they were measured on.
///
/// A GEMM or convolution output is a dot product s = sum of K products a_i b_i (plus a bias).
/// In Float32 with unit roundoff u = 2^-24, in any summation order (tiles, split-K slices,
/// tree reductions) and with or without fused multiply-add, |s^ - s| <= gamma_K * sum |a_i b_i|
/// with gamma_K = K u / (1 - K u) (Higham, Accuracy and Stability of Numerical Algorithms,
/// 3.1). That worst case is K times too loose to catch a wrong index. Rounding errors of
/// different orders behave as independent, mean-zero variables, which gives the
/// probabilistic bound lambda * sqrt(K) * u * sum |a_i b_i| (Higham and Mary, SIAM J. Sci.
/// Comput. 41(5), 2019), exceeded with probability below 2 exp(-lambda^2 / 2): lambda = 6
/// gives 3e-8 per element. The checks' inputs are uniform in [-1, 1], so E|a_i b_i| = 1/4
/// and sum |a_i b_i| is about K / 4; the reference is Float64 (its own error is negligible).
///
/// The elementwise ops use OpenCL C's documented accuracy (OpenCL 1.2, 7.4, full profile,
/// without -cl-fast-relaxed-math): exp and log within 3 ulp, division 2.5 ulp, sqrt 3 ulp.
/// Softmax p_j = exp(l_j - max) / sum exp(.) then carries (3 + 2.5 + K) ulp relative (the
/// K-term sum), cross-entropy log(sum) - l adds 3 ulp of log(sum); Adam's step
/// m / (sqrt(v) + eps) carries 3 + 2.5 + 2 ulp of the step, which is at most the learning rate.
public enum DerivedTolerance {
  static let u: Float = 0x1p-24
  static let lambda: Float = 6

  /// Absolute tolerance of a K-term dot product of inputs uniform in [-1, 1].
  public static func dot(depth k: Int, meanAbsProduct: Float = 0.25) -> Float {
    lambda * Float(k).squareRoot() * u * Float(k) * meanAbsProduct + u
  }

  /// A K-term dot product (GEMM, convolution, dense output or gradient).
  public static func gemm(depth k: Int, meanAbsProduct: Float = 0.25) -> Tolerance {
    Tolerance(atol: dot(depth: k, meanAbsProduct: meanAbsProduct), rtol: 1e-5)
  }

  /// Max pooling, its argmax codes and backward routing, ReLU backward, correct counts, and
  /// gathered pixels (bytes / 255 either way).
  public static let exact = Tolerance(atol: 0, rtol: 0)
  /// Softmax probabilities and the cross-entropy gradient.
  public static let softmax = Tolerance(atol: 1e-7, rtol: 1e-5)
  /// A sum of cross-entropy losses.
  public static let loss = Tolerance(atol: 1e-6, rtol: 1e-5)
  /// An Adam step of learning rate up to 1e-2 on the parameter, m and v.
  public static let adam = Tolerance(atol: 1e-6, rtol: 1e-5)
  /// One pixel of an image augmented on the device against the host reference: OpenCL allows
  /// sin/cos 4 ulp, exp/log/sqrt 3, division 2.5, so the inverse warp's coefficients carry ~16
  /// ulp (1e-6 relative) and a sample position ~5e-5 px per axis; bilinear interpolation of
  /// [0,1] values moves at most the sum, 1e-4. Thickness, blur and area resampling average;
  /// blur's renormalisation scales by under 5, noise adds < 1e-6. Measured: 1.7e-6.
  public static let augmentedPixel = Tolerance(atol: 1e-3, rtol: 0)
  /// Every parameter after whole training steps against another backend, and the summed
  /// loss relative to it. Empirical, not derived: Adam divides by sqrt(v), which turns tiny
  /// gradient differences into differences of the step's size on near-zero gradients; PoCL
  /// and rusticl stay under it after 20 steps (PoCL measured 3e-7).
  public static let trainingSteps: Float = 1e-5
}

/// Deterministic pseudo-random test data (SplitMix64), so failures reproduce.
public struct TestRandom {
  var generator: SplitMix64
  public init(seed: UInt64) { generator = SplitMix64(seed: seed) }
  public mutating func next() -> UInt64 { generator.next() }
  /// Uniform in [lo, hi).
  public mutating func uniform(_ lo: Float = -1, _ hi: Float = 1) -> Float {
    lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
  }
  public mutating func array(_ count: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
    (0..<count).map { _ in uniform(lo, hi) }
  }
  public mutating func labels(_ count: Int, classes: Int = 10) -> [Float] {
    (0..<count).map { _ in Float(Int(next() % UInt64(classes))) }
  }
}
