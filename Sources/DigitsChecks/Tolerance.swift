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
    if err > worst.error || (err.isNaN && worst.index < 0) { worst = (err, i) }
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

/// Deterministic pseudo-random test data (SplitMix64), so failures reproduce.
public struct TestRandom {
  var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
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
