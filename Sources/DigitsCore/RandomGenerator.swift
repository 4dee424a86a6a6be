/// xoshiro256** seeded through SplitMix64: small, fast, and the same sequence on every
/// platform, so `--seed` reproduces initial weights and shuffles exactly.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var s: (UInt64, UInt64, UInt64, UInt64)

  public init(seed: UInt64) {
    var x = SplitMix64(seed: seed)
    s = (x.next(), x.next(), x.next(), x.next())
  }

  public mutating func next() -> UInt64 {
    let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
    let t = s.1 << 17
    s.2 ^= s.0
    s.3 ^= s.1
    s.1 ^= s.2
    s.0 ^= s.3
    s.2 ^= t
    s.3 = (s.3 << 45) | (s.3 >> 19)
    return result
  }

  /// Uniform Float in [lo, hi) from the top 24 bits.
  public mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
    lo + (hi - lo) * Float(next() >> 40) * (1.0 / 16_777_216.0)
  }

  /// A Fisher-Yates permutation of 0..<count.
  public mutating func permutation(_ count: Int) -> [Int] {
    var p = Array(0..<count)
    if count < 2 { return p }
    for i in stride(from: count - 1, to: 0, by: -1) {
      let j = Int(next() % UInt64(i + 1))
      p.swapAt(i, j)
    }
    return p
  }
}

/// SplitMix64 (Steele, Lea and Flood 2014): one 64-bit state advanced by a constant, each
/// output a mix of it. Seeds xoshiro, gives each augmented image its own seed
/// (`DeviceAugmentation.imageSeed`; the kernels compute the same in OpenCL C), and makes the
/// checks' test data.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return Self.mix(state)
  }

  /// The output for state `z`.
  public static func mix(_ z: UInt64) -> UInt64 {
    var z = z
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
