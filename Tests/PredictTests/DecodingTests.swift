import CStb
import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// stb_image decoding through `ImageDecoder`: every format, bit depth and channel layout
/// from files written here, and every kind of bad file.
@Suite struct DecodingTests {
  static let width = 7, height = 5

  /// Test pattern: channel c of pixel (x, y) as a fraction of the full value.
  static func value(_ x: Int, _ y: Int, _ c: Int) -> Double {
    let level: Int = (x * 37 + y * 91 + c * 53) % 256
    return Double(level) / 255
  }

  static func samples(channels: Int, maxval: Int) -> [Int] {
    var out: [Int] = []
    for y in 0..<height {
      for x in 0..<width {
        for c in 0..<channels { out.append(Int((value(x, y, c) * Double(maxval)).rounded())) }
      }
    }
    return out
  }

  /// What the decoder should produce: Rec. 601 luminance, alpha over white.
  static func expected(channels: Int) -> [Float] {
    var out: [Float] = []
    for y in 0..<height {
      for x in 0..<width {
        let v = (0..<channels).map { value(x, y, $0) }
        var lum: Double
        var alpha = 1.0
        switch channels {
        case 1: lum = v[0]
        case 2:
          lum = v[0]
          alpha = v[1]
        case 3: lum = 0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2]
        default:
          lum = 0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2]
          alpha = v[3]
        }
        out.append(Float(lum * alpha + (1 - alpha)))
      }
    }
    return out
  }

  func check(
    _ data: Data, channels: Int, tolerance: Float = 1.5 / 255, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let image = try ImageDecoder.decode(data, name: what)
    #expect(image.width == Self.width && image.height == Self.height, "\(what)", sourceLocation: sourceLocation)
    let want = Self.expected(channels: channels)
    let worst = largestDifference(image.pixels, want)
    #expect(worst <= tolerance, "\(what): max error \(worst)", sourceLocation: sourceLocation)
  }

  @Test(arguments: [1, 2, 3, 4], [8, 16])
  func png(channels: Int, depth: Int) throws {
    let data = ImageEncoders.png(
      width: Self.width, height: Self.height, channels: channels, depth: depth,
      samples: Self.samples(channels: channels, maxval: depth == 8 ? 255 : 65535))
    try check(data, channels: channels, "PNG \(depth)-bit \(channels) channels")
  }

  @Test(arguments: [1, 3], [255, 65535])
  func pnm(channels: Int, maxval: Int) throws {
    let data = ImageEncoders.pnm(
      width: Self.width, height: Self.height, channels: channels, maxval: maxval,
      samples: Self.samples(channels: channels, maxval: maxval))
    try check(data, channels: channels, "\(channels == 1 ? "PGM" : "PPM") maxval \(maxval)")
  }

  @Test(arguments: [3, 4])
  func bmp(channels: Int) throws {
    let data = ImageEncoders.bmp(
      width: Self.width, height: Self.height, channels: channels,
      samples: Self.samples(channels: channels, maxval: 255).map(UInt8.init))
    try check(data, channels: channels, "BMP \(channels * 8)-bit")
  }

  @Test func gifFirstFrame() throws {
    let first = Self.samples(channels: 1, maxval: 255).map(UInt8.init)
    let second = [UInt8](repeating: 0, count: first.count)
    try check(ImageEncoders.gif(width: Self.width, height: Self.height, frames: [first, second]), channels: 1, "GIF")
  }

  @Test(arguments: [1, 3])
  func jpeg(channels: Int) throws {
    // JPEG is lossy: a smooth picture, compared loosely.
    let w = 32, h = 24
    var samples: [UInt8] = []
    for y in 0..<h { for x in 0..<w { for c in 0..<channels { samples.append(UInt8(40 + x * 4 + y * 3 + c * 10)) } } }
    let image = try ImageDecoder.decode(
      ImageEncoders.jpeg(width: w, height: h, channels: channels, samples: samples, quality: 95), name: "t.jpg")
    #expect(image.width == w && image.height == h)
    for y in 0..<h {
      for x in 0..<w {
        let s = (0..<channels).map { Float(samples[(y * w + x) * channels + $0]) / 255 }
        let want = channels == 1 ? s[0] : 0.299 * s[0] + 0.587 * s[1] + 0.114 * s[2]
        #expect(abs(image[x, y] - want) < 0.04, "(\(x), \(y)): \(image[x, y]) vs \(want)")
      }
    }
  }

  @Test func transparentBackgroundIsPaper() throws {
    // Black ink (alpha 255) on black-but-transparent background (alpha 0): paper is white.
    let samples = [0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 128, 0, 0, 0, 0]
    let image = try ImageDecoder.decode(
      ImageEncoders.png(width: 4, height: 1, channels: 4, depth: 8, samples: samples), name: "a.png")
    #expect(image.pixels[0] == 1 && image.pixels[1] == 0 && abs(image.pixels[2] - 0.498) < 0.01 && image.pixels[3] == 1)
  }

  @Test func readsFilesFromDisk() throws {
    let dir = TemporaryDirectory()
    let path = dir.path + "/digit.png"
    try ImageEncoders.png(width: 3, height: 2, channels: 1, depth: 8, samples: [0, 50, 100, 150, 200, 255]).write(
      to: URL(fileURLWithPath: path))
    let image = try ImageDecoder.read(path: path)
    #expect(image.bytes == [0, 50, 100, 150, 200, 255])
  }

  // MARK: - Bad input

  func expectError(
    _ data: Data, name: String = "bad.img", _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation
  ) {
    do {
      let image = try ImageDecoder.decode(data, name: name)
      Issue.record("decoded \(image.width)x\(image.height) from bad input \(name)", sourceLocation: sourceLocation)
    } catch let error as DigitsError {
      #expect(error.description.hasPrefix(name + ": "), "\(error)", sourceLocation: sourceLocation)
      for f in fragments {
        #expect(error.description.contains(f), "\(f) not in \(error)", sourceLocation: sourceLocation)
      }
    } catch {
      Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
    }
  }

  @Test func notAnImage() {
    expectError(Data("hello, I am a text file\n".utf8), name: "notes.txt", "not a readable image")
    expectError(Data(), name: "empty.png", "empty")
  }

  @Test func truncatedFiles() {
    let png = ImageEncoders.png(
      width: 40, height: 30, channels: 3, depth: 8, samples: [Int](repeating: 99, count: 3600))
    expectError(png.prefix(png.count / 2), name: "half.png")
    expectError(png.prefix(20), name: "header.png")
    var samples = [UInt8](repeating: 0, count: 64 * 64)
    for i in samples.indices { samples[i] = UInt8(i * 7 % 256) }
    let jpeg = ImageEncoders.jpeg(width: 64, height: 64, channels: 1, samples: samples, quality: 90)
    expectError(jpeg.prefix(jpeg.count / 2), name: "half.jpg", "truncated")
    let bmp = ImageEncoders.bmp(width: 40, height: 30, channels: 3, samples: [UInt8](repeating: 7, count: 3600))
    expectError(bmp.prefix(bmp.count / 2), name: "half.bmp", "truncated")
    let pgm = ImageEncoders.pnm(
      width: 40, height: 30, channels: 1, maxval: 255, samples: [Int](repeating: 7, count: 1200))
    expectError(pgm.prefix(pgm.count / 2), name: "half.pgm", "truncated")
    let gif = ImageEncoders.gif(width: 40, height: 30, frames: [[UInt8](repeating: 9, count: 1200)])
    expectError(gif.prefix(gif.count / 2), name: "half.gif")
  }

  @Test func emptyAndHugeDimensions() {
    // Headers only: the size check must come before any pixel memory is allocated.
    expectError(Data("P5\n0 0\n255\n".utf8), name: "zero.pgm")
    var zero = ImageEncoders.png(width: 1, height: 1, channels: 1, depth: 8, samples: [0])
    zero.replaceSubrange(16..<24, with: [0, 0, 0, 0, 0, 0, 0, 0])
    expectError(zero, name: "zero.png")
    expectError(Data("P5\n30000 30000\n255\n".utf8) + Data(count: 16), name: "huge.pgm", "30000x30000", "limit")
    var bigPNG = ImageEncoders.png(width: 1, height: 1, channels: 1, depth: 8, samples: [0])
    bigPNG.replaceSubrange(16..<24, with: [0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30])  // 30000 x 30000
    expectError(bigPNG, name: "huge.png", "30000x30000", "limit")
  }

  /// Formats stb_image parses but the decoder does not offer are refused by their magic bytes
  /// before stb_image sees them; stb_image itself would read these files.
  @Test func onlyTheOfferedFormatsReachStb() throws {
    var tga: [UInt8] = [0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 3, 0, 8, 0]  // 4x3 uncompressed gray
    tga += [UInt8](repeating: 200, count: 12)
    let hdr =
      Array("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 2\n".utf8) + [128, 128, 128, 129, 128, 128, 128, 129]
    for (name, bytes) in [("digit.tga", tga), ("digit.hdr", hdr)] {
      var w: Int32 = 0, h: Int32 = 0, c: Int32 = 0
      #expect(stbi_info_from_memory(bytes, Int32(bytes.count), &w, &h, &c) == 1, "stb_image no longer reads \(name)")
      expectError(Data(bytes), name: name, "not a readable image", "PNG, JPEG")
      #expect(ImageDecoder.size(of: Data(bytes)) == nil, "\(name)")
    }
  }

  @Test func formatsAreToldByMagicBytes() {
    let png = ImageEncoders.png(width: 2, height: 2, channels: 1, depth: 8, samples: [0, 1, 2, 3])
    let jpeg = ImageEncoders.jpeg(
      width: 8, height: 8, channels: 1, samples: [UInt8](repeating: 9, count: 64), quality: 90)
    let bmp = ImageEncoders.bmp(width: 2, height: 2, channels: 3, samples: [UInt8](repeating: 7, count: 12))
    let pgm = ImageEncoders.pnm(width: 2, height: 2, channels: 1, maxval: 255, samples: [1, 2, 3, 4])
    let ppm = ImageEncoders.pnm(width: 2, height: 2, channels: 3, maxval: 255, samples: [Int](repeating: 5, count: 12))
    let gif = ImageEncoders.gif(width: 2, height: 2, frames: [[1, 2, 3, 4]])
    let cases: [(Data, ImageDecoder.Format?)] = [
      (png, .png), (jpeg, .jpeg), (bmp, .bmp), (pgm, .pnm), (ppm, .pnm), (gif, .gif),
      (Data("P2\n2 2\n255\n1 2 3 4\n".utf8), nil), (Data("8BPS".utf8), nil), (Data([0x89, 0x50]), nil), (Data(), nil),
    ]
    for (data, format) in cases {
      #expect(ImageDecoder.Format(magic: data) == format, "\(Array(data.prefix(8)))")
    }
  }
}
