import CStb
import DigitsCore
import Foundation
import Testing

@Suite struct PNGTests {
  /// What we encode, stb_image decodes to the same bytes.
  @Test(arguments: [(28, 28), (1, 1), (5, 3)])
  func roundTripsThroughStbImage(width: Int, height: Int) throws {
    let pixels = (0..<(width * height)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    let png = PNG.grayscale(pixels, width: width, height: height)
    #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    var w: Int32 = 0, h: Int32 = 0, channels: Int32 = 0
    let decoded = png.withUnsafeBytes { raw in
      stbi_load_from_memory(raw.bindMemory(to: UInt8.self).baseAddress, Int32(raw.count), &w, &h, &channels, 1)
    }
    let image = try #require(decoded, "stb_image: \(String(cString: stbi_failure_reason()))")
    defer { stbi_image_free(image) }
    #expect((Int(w), Int(h), channels) == (width, height, 1))
    #expect(Array(UnsafeBufferPointer(start: image, count: width * height)) == pixels)
  }

  @Test func dataURI() {
    let uri = PNG.dataURI([0, 255, 0, 255], width: 2, height: 2)
    #expect(uri.hasPrefix("data:image/png;base64,iVBORw0KGgo"))
  }
}
