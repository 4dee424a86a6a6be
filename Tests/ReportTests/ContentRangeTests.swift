import CCurl
import Testing

/// The one header line the downloader parses itself (libcurl hands it every line of every
/// response, a hostile mirror's included): only `Content-Range: bytes N-...` gives N.
@Suite struct ContentRangeTests {
  @Test(
    arguments: [
      ("Content-Range: bytes 100-199/200\r\n", 100),
      ("content-range:bytes 0-9/10", 0),
      ("CONTENT-RANGE: \tBYTES 7-", 7),
      ("Content-Range: bytes 9223372036854775807-", Int64.max),
      ("Content-Range: bytes 9223372036854775808-", -1),
      ("Content-Range: bytes 99999999999999999999999999999-", -1),
      ("Content-Range: bytes -5-9", -1),
      ("Content-Range: bytes 5", -1),
      ("Content-Range: bytes */200", -1),
      ("Content-Range: items 1-2", -1),
      ("Content-Range:", -1),
      ("Content-Length: 100-", -1),
      ("", -1),
    ] as [(String, Int64)])
  func firstByte(line: String, expected: Int64) {
    var bytes = Array(line.utf8)
    let start = bytes.withUnsafeMutableBufferPointer { buffer in
      buffer.withMemoryRebound(to: CChar.self) { ccurl_content_range_start($0.baseAddress, $0.count) }
    }
    #expect(start == expected, "\(line)")
  }

  /// A line of a megabyte of digits is read to its end and refused, never copied or overflowed.
  @Test func longLineIsRefused() {
    let line = Array("Content-Range: bytes ".utf8) + [UInt8](repeating: UInt8(ascii: "9"), count: 1 << 20)
    let start = line.withUnsafeBufferPointer { buffer in
      buffer.withMemoryRebound(to: CChar.self) { ccurl_content_range_start($0.baseAddress, $0.count) }
    }
    #expect(start == -1)
  }
}
