import DigitsCore
import DigitsVision
import Foundation
import Testing

/// Inputs the fuzz targets in Fuzz/ found to crash, leak or exhaust memory, replayed through
/// the same entry points. Each file under Fixtures/fuzz/ is the fuzzer's input as found.
@Suite struct FuzzRegressionTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/fuzz")

  static func fixture(_ name: String) throws -> Data {
    try Data(contentsOf: fixtures.appendingPathComponent(name))
  }

  /// The error `body` throws, as text; "" when it throws none or another kind.
  static func message(_ body: () throws -> Any) -> String {
    do {
      _ = try body()
      return ""
    } catch {
      return (error as? DigitsError)?.description ?? ""
    }
  }

  /// FuzzImageDecoder: a 410-byte PNG whose IDAT chunk lengths promise far more than the file
  /// holds. stb_image trusts them and grew its buffer to 1.4 GB before finding no data; the
  /// chunk walk now refuses the file before stb_image sees it.
  @Test func pngChunkLongerThanTheFileIsRefusedBeforeDecoding() throws {
    let data = try Self.fixture("png-idat-claims-1.4GB.png")
    let error = Self.message { try ImageDecoder.decode(data, name: "fuzz.png") }
    #expect(error.hasPrefix("fuzz.png: damaged or truncated image: PNG chunk"), "\(error)")
  }

  /// FuzzImageDecoder (ASan: SEGV in stbi__jpeg_huff_decode): a JPEG whose scan names DC
  /// Huffman table 3, which no DHT segment defines. stb_image 2.27 (Debian's libstb) then
  /// decodes with an uninitialised table and reads far out of bounds; refused before it.
  @Test func jpegScanWithUndefinedHuffmanTableIsRefusedBeforeDecoding() throws {
    let data = try Self.fixture("jpeg-scan-uses-undefined-huffman-table.jpg")
    let error = Self.message { try ImageDecoder.decode(data, name: "fuzz.jpg") }
    #expect(error.hasPrefix("fuzz.jpg: damaged or truncated image: JPEG scan uses DC Huffman table 3"), "\(error)")
  }

  /// FuzzRawInput: the same kind of PNG piped to `digits predict -` (1.7 GB asked for).
  @Test func pngOnStdinWithChunkLongerThanTheFileIsRefused() throws {
    let data = try Self.fixture("stdin-png-idat-claims-1.7GB.png")
    let error = Self.message { try RawInput.images(data, name: "stdin") }
    #expect(error.hasPrefix("stdin: damaged or truncated image: PNG chunk"), "\(error)")
  }
}
