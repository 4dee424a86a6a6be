import DigitsCore
import Foundation
import Testing
import _TestSupport

@Suite struct SHA256Tests {
  /// FIPS 180-4 / NIST CAVP example vectors.
  @Test(arguments: [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    (
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
    ),
    (
      "The quick brown fox jumps over the lazy dog",
      "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
    ),
  ])
  func knownVectors(message: String, digest: String) {
    #expect(SHA256.hex(Data(message.utf8)) == digest)
    var plain = SHA256(hardware: false)
    plain.update(Data(message.utf8))
    #expect(plain.finalize().map { String(format: "%02x", $0) }.joined() == digest)
  }

  /// The SHA extensions' path and the plain Swift rounds agree on every length up to a few
  /// blocks and on a large input fed in odd pieces.
  @Test func hardwareAndSwiftRoundsAgree() {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<70_001).map { _ in UInt8.random(in: 0...255, using: &generator) }
    for length in Array(0...200) + [4_097, 70_001] {
      var fast = SHA256(), plain = SHA256(hardware: false)
      var start = 0
      while start < length {
        let end = min(length, start + 1 + (start * 7) % 300)
        bytes[start..<end].withUnsafeBytes {
          fast.update(bytes: $0)
          plain.update(bytes: $0)
        }
        start = end
      }
      #expect(fast.finalize() == plain.finalize(), "length \(length)")
    }
  }

  @Test func oneMillionAs() {
    #expect(
      SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000))
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  /// Lengths around the 55/56/64-byte padding edges, fed in uneven pieces, agree with the
  /// one-shot digest; the one-shot digests of these lengths come from `sha256sum`.
  @Test func paddingEdgesAndStreaming() {
    let expected: [Int: String] = [
      55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
      56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
      63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
      64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
      65: "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
    ]
    for (n, digest) in expected {
      let data = Data(repeating: UInt8(ascii: "a"), count: n)
      #expect(SHA256.hex(data) == digest, "length \(n)")
      var h = SHA256()
      var i = 0, step = 1
      while i < n {
        h.update(data[i..<min(n, i + step)])
        i += step
        step = step * 2 + 1
      }
      #expect(h.finalize().map { String(format: "%02x", $0) }.joined() == digest, "streamed, length \(n)")
    }
  }

  @Test func mnistTestLabelsMatchTheSharedSum() throws {
    let gz = try Data(contentsOf: URL(fileURLWithPath: TestData.mnistPath + "/t10k-labels-idx1-ubyte.gz"))
    #expect(
      SHA256.hex(try Gzip.decompress(gz, path: "labels", limit: 1 << 20))
        == "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")
  }
}
