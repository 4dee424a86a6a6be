import CSHA256
import Foundation

/// SHA-256 (FIPS 180-4) in plain Swift, for checking downloaded data sets and model files:
/// Linux has no CryptoKit, and one hash is not worth a swift-crypto dependency. On a CPU with
/// the x86 SHA extensions the blocks go through them (`CSHA256`), about ten times faster.
/// Streaming: feed any number of `update` calls, then `finalize`. Not constant-time; not for
/// secrets.
public struct SHA256: Sendable {
  var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
    0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
  )
  /// Bytes not yet hashed (always fewer than 64).
  var pending: [UInt8] = []
  var length: UInt64 = 0

  /// Whether blocks go through the SHA extensions.
  let hardware: Bool

  public init() { self.init(hardware: true) }

  /// `hardware: false`: the plain Swift rounds even where the CPU has the SHA extensions (the
  /// tests check both against the same digests).
  package init(hardware: Bool) {
    self.hardware = hardware && Self.cpuHasSHA
    pending.reserveCapacity(64)
  }

  /// The hex digest of `data` in one call.
  public static func hex<D: DataProtocol>(_ data: D) -> String {
    var h = SHA256()
    h.update(data)
    return h.finalize().map { String(format: "%02x", $0) }.joined()
  }

  public mutating func update<D: DataProtocol>(_ data: D) {
    for region in data.regions {
      region.withUnsafeBytes { update(bytes: $0) }
    }
  }

  public mutating func update(bytes: UnsafeRawBufferPointer) {
    guard var p = bytes.baseAddress, bytes.count > 0 else { return }
    var count = bytes.count
    length &+= UInt64(count)
    if !pending.isEmpty {
      let take = min(64 - pending.count, count)
      pending.append(contentsOf: UnsafeRawBufferPointer(start: p, count: take))
      p += take
      count -= take
      if pending.count < 64 { return }
      pending.withUnsafeBytes { compress(blocks: $0.baseAddress!, count: 1) }
      pending.removeAll(keepingCapacity: true)
    }
    let whole = count / 64
    if whole > 0 { compress(blocks: p, count: whole) }
    pending.append(contentsOf: UnsafeRawBufferPointer(start: p + whole * 64, count: count - whole * 64))
  }

  /// The 32-byte digest. The value is spent afterwards.
  public mutating func finalize() -> [UInt8] {
    let bits = length &* 8
    var tail = pending
    tail.append(0x80)
    while tail.count % 64 != 56 { tail.append(0) }
    for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    tail.withUnsafeBytes { compress(blocks: $0.baseAddress!, count: tail.count / 64) }
    pending.removeAll()
    let s = state
    return [s.0, s.1, s.2, s.3, s.4, s.5, s.6, s.7].flatMap { word in
      (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * $0)) }
    }
  }

  /// Runs the compression function over `count` 64-byte blocks at `blocks`.
  /// NOTE: masking shifts (&>>, &<<) and no helper calls keep debug builds usable (~10x).
  mutating func compress(blocks: UnsafeRawPointer, count: Int) {
    if hardware {
      withUnsafeMutableBytes(of: &state) { words in
        csha256_compress(
          words.baseAddress!.assumingMemoryBound(to: UInt32.self), blocks.assumingMemoryBound(to: UInt8.self), count)
      }
      return
    }
    compressInSwift(blocks: blocks, count: count)
  }

  /// Whether this CPU has the SHA extensions.
  static let cpuHasSHA = csha256_available() != 0

  /// `compress` in plain Swift, for CPUs without the SHA extensions.
  mutating func compressInSwift(blocks: UnsafeRawPointer, count: Int) {
    var (a0, b0, c0, d0, e0, f0, g0, h0) = state
    let k = csha256_round_constants()!
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { wBuffer in
      let w = wBuffer.baseAddress!
      for block in 0..<count {
        let base = blocks + block &* 64
        for i in 0..<16 {
          w[i] = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))
        }
        for i in 16..<64 {
          let x = w[i &- 15], y = w[i &- 2]
          let s0 = (x &>> 7 | x &<< 25) ^ (x &>> 18 | x &<< 14) ^ (x &>> 3)
          let s1 = (y &>> 17 | y &<< 15) ^ (y &>> 19 | y &<< 13) ^ (y &>> 10)
          w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
        }
        var a = a0, b = b0, c = c0, d = d0, e = e0, f = f0, g = g0, h = h0
        for i in 0..<64 {
          let s1 = (e &>> 6 | e &<< 26) ^ (e &>> 11 | e &<< 21) ^ (e &>> 25 | e &<< 7)
          let ch = (e & f) ^ (~e & g)
          let t1 = h &+ s1 &+ ch &+ k[i] &+ w[i]
          let s0 = (a &>> 2 | a &<< 30) ^ (a &>> 13 | a &<< 19) ^ (a &>> 22 | a &<< 10)
          let maj = (a & b) ^ (a & c) ^ (b & c)
          h = g
          g = f
          f = e
          e = d &+ t1
          d = c
          c = b
          b = a
          a = t1 &+ s0 &+ maj
        }
        a0 &+= a
        b0 &+= b
        c0 &+= c
        d0 &+= d
        e0 &+= e
        f0 &+= f
        g0 &+= g
        h0 &+= h
      }
    }
    state = (a0, b0, c0, d0, e0, f0, g0, h0)
  }
}
