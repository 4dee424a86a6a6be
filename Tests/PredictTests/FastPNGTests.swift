import CZlib
import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// PNGs decoded through zlib (the fast path) give exactly the luminance ImageDecoder
/// documents, whatever the row filters, colour type and IDAT split; damaged ones fail cleanly.
@Suite struct FastPNGTests {
  /// An 8-bit PNG of `samples`, row y filtered with filter y % 5, IDAT cut into `parts`.
  static func png(
    width: Int, height: Int, channels: Int, samples: [UInt8], parts: Int = 3, filter: ((Int) -> Int)? = nil
  ) -> Data {
    let bpp = channels, stride = width * channels
    var raw: [UInt8] = []
    for y in 0..<height {
      let f = filter?(y) ?? y % 5
      raw.append(UInt8(f))
      for i in 0..<stride {
        let x = Int(samples[y * stride + i])
        let a = i >= bpp ? Int(samples[y * stride + i - bpp]) : 0
        let b = y > 0 ? Int(samples[(y - 1) * stride + i]) : 0
        let c = y > 0 && i >= bpp ? Int(samples[(y - 1) * stride + i - bpp]) : 0
        let predicted: Int
        switch f {
        case 1: predicted = a
        case 2: predicted = b
        case 3: predicted = (a + b) / 2
        case 4:
          let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
          predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
        default: predicted = 0
        }
        raw.append(UInt8(truncatingIfNeeded: x - predicted))
      }
    }
    var size = compressBound(uLong(raw.count))
    var compressed = [UInt8](repeating: 0, count: Int(size))
    #expect(compress2(&compressed, &size, raw, uLong(raw.count), 6) == Z_OK)
    compressed.removeSubrange(Int(size)...)

    var file = Data([137, 80, 78, 71, 13, 10, 26, 10])
    let colourType: UInt8 = [1: 0, 2: 4, 3: 2, 4: 6][channels]!
    chunk("IHDR", be32(width) + be32(height) + [8, colourType, 0, 0, 0], into: &file)
    var start = 0
    for k in 1...parts {
      let end = compressed.count * k / parts
      chunk("IDAT", Array(compressed[start..<end]), into: &file)
      start = end
    }
    chunk("IEND", [], into: &file)
    return file
  }

  static func be32(_ v: Int) -> [UInt8] {
    [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
  }

  static func chunk(_ type: String, _ body: [UInt8], into file: inout Data) {
    let typed = Array(type.utf8) + body
    file.append(contentsOf: be32(body.count) + typed + be32(Int(crc32(0, typed, uInt(typed.count)))))
  }

  /// Rec. 601 luminance in [0, 1], alpha composited on white, as ImageDecoder documents.
  static func luminance(_ s: [UInt8], _ i: Int, channels: Int) -> Float {
    let scale: Float = 1.0 / 255.0
    switch channels {
    case 1: return Float(s[i]) * scale
    case 2:
      let g = Float(s[2 * i]) * scale, a = Float(s[2 * i + 1]) * scale
      return min(1, max(0, g * a + (1 - a)))
    case 3:
      let r = Float(s[3 * i]), g = Float(s[3 * i + 1]), b = Float(s[3 * i + 2])
      return min(1, max(0, (0.299 * r + 0.587 * g + 0.114 * b) * scale))
    default:
      let r = Float(s[4 * i]), g = Float(s[4 * i + 1]), b = Float(s[4 * i + 2])
      let a = Float(s[4 * i + 3]) * scale
      return min(1, max(0, (0.299 * r + 0.587 * g + 0.114 * b) * scale * a + (1 - a)))
    }
  }

  /// Widths of 1 and 2 pixels leave the Paeth filter's 4-byte pixel loop no room.
  @Test(arguments: [1, 2, 3, 4], [1, 2, 37])
  func everyFilterAndSplit(channels: Int, width: Int) throws {
    var random = TestRandom(seed: UInt64(channels))
    let height = 23
    // Smooth areas (as in drawings) and noise, so every filter sees both.
    let samples = (0..<(width * height * channels)).map { i -> UInt8 in
      i % 7 < 3 ? UInt8(255 - (i / channels) % 9) : UInt8(truncatingIfNeeded: random.next())
    }
    for parts in [1, 3] {
      let image = try ImageDecoder.decode(
        Self.png(
          width: width, height: height, channels: channels, samples: samples,
          parts: parts), name: "test.png")
      #expect(image.width == width && image.height == height)
      let wrong = (0..<(width * height)).filter { image.pixels[$0] != Self.luminance(samples, $0, channels: channels) }
      #expect(
        wrong.count == 0, "\(channels) channels, width \(width), \(parts) IDAT: pixels differ, first \(wrong.prefix(5))"
      )
    }
  }

  @Test func damagedFilesFailCleanly() throws {
    let samples = [UInt8](repeating: 200, count: 20 * 20 * 4)
    let good = Self.png(width: 20, height: 20, channels: 4, samples: samples, parts: 1)
    #expect(throws: DigitsError.self) { try ImageDecoder.decode(good.prefix(good.count - 30), name: "cut.png") }
    let badFilter = Self.png(
      width: 20, height: 20, channels: 4, samples: samples, parts: 1, filter: { $0 == 7 ? 9 : 0 })
    #expect(throws: DigitsError.self) { try ImageDecoder.decode(badFilter, name: "filter.png") }
    var scrambled = good
    for i in 50..<min(70, scrambled.count - 20) { scrambled[i] ^= 0x5A }
    // Either error or a picture of the right size (stb_image decides): never a crash.
    if let image = try? ImageDecoder.decode(scrambled, name: "scrambled.png") { #expect(image.width == 20) }
  }
}
