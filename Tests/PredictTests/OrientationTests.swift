import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// EXIF orientation: all eight values turn the stored pixels upright before anything else
/// looks at them, in JPEG (APP1), PNG (eXIf) and WebP (EXIF chunk); a damaged or hostile EXIF
/// block leaves the picture as stored.
@Suite struct OrientationTests {
  /// A 3x2 picture whose pixels are numbered 0 1 2 / 3 4 5.
  static let numbered = GrayImage(width: 3, height: 2, pixels: [0, 1, 2, 3, 4, 5])

  /// What a viewer shows for each tag value, written out from the EXIF definitions (where the
  /// stored row 0 and column 0 end up), not from the code.
  static let shown: [ImageOrientation: (width: Int, pixels: [Float])] = [
    .up: (3, [0, 1, 2, 3, 4, 5]),
    .mirrored: (3, [2, 1, 0, 5, 4, 3]),
    .upsideDown: (3, [5, 4, 3, 2, 1, 0]),
    .flipped: (3, [3, 4, 5, 0, 1, 2]),
    .transposed: (2, [0, 3, 1, 4, 2, 5]),
    .turnedClockwise: (2, [3, 0, 4, 1, 5, 2]),
    .transverse: (2, [5, 2, 4, 1, 3, 0]),
    .turnedCounterClockwise: (2, [2, 5, 1, 4, 0, 3]),
  ]

  @Test(arguments: ImageOrientation.allCases)
  func everyValueMovesPixelsWhereTheTagSays(orientation: ImageOrientation) {
    let want = Self.shown[orientation]!
    let got = Self.numbered.oriented(orientation)
    #expect(got.width == want.width && got.height == 6 / want.width, "\(orientation)")
    #expect(got.pixels == want.pixels, "\(orientation)")
  }

  static func fixture(_ name: String) throws -> Data {
    try Data(contentsOf: TestData.packageRoot.appendingPathComponent("Tests/Pictures/\(name)"))
  }

  static func meanDifference(_ a: GrayImage, _ b: GrayImage) -> Float {
    zip(a.pixels, b.pixels).map { abs($0 - $1) }.reduce(0, +) / Float(a.pixels.count)
  }

  /// Reads fixture `name` and checks it is the upright picture: its size (from the header too),
  /// its pixels within `meanTolerance` on average, the same 28x28 network input within 0.3 and
  /// the digit 7.
  static func expectReadsAsUpright(
    _ name: String, meanTolerance: Float, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let upright = try ImageDecoder.decode(try fixture("seven-upright.png"), name: "seven-upright.png")
    let data = try fixture(name)
    let image = try ImageDecoder.decode(data, name: name)
    let size = [upright.width, upright.height]
    #expect([image.width, image.height] == size, "\(name)", sourceLocation: sourceLocation)
    #expect(ImageDecoder.size(of: data).map { [$0.width, $0.height] } == size, sourceLocation: sourceLocation)
    guard image.width == upright.width else { return }
    #expect(meanDifference(image, upright) < meanTolerance, "\(name)", sourceLocation: sourceLocation)
    let seen = try #require(DigitPreprocessor().prepare(image).pixels, sourceLocation: sourceLocation)
    let want = try #require(DigitPreprocessor().prepare(upright).pixels, sourceLocation: sourceLocation)
    let worst = largestDifference(seen, want)
    #expect(worst < 0.3, "\(name): 28x28 input differs by up to \(worst)", sourceLocation: sourceLocation)
    let p = PredictionTests.classifier().probabilities(seen)
    #expect(p.firstIndex(of: p.max()!) == 7, "\(name): \(p)", sourceLocation: sourceLocation)
  }

  /// JPEGs whose pixels ImageMagick stored turned and mirrored, each with the EXIF value that
  /// shows it upright (Tests/Pictures/make-pictures.py): each reads as the upright picture does,
  /// the same 28x28 network input and the same digit.
  @Test(arguments: 1...8)
  func phonePhotoOfEveryOrientationReadsUpright(value: Int) throws {
    try Self.expectReadsAsUpright("seven-orientation-\(value).jpg", meanTolerance: 0.015)
  }

  /// A PNG with an eXIf chunk (both byte orders, with and without the "Exif\0\0" some writers
  /// put first): lossless, so the numbered picture comes back exactly as the table says.
  @Test(arguments: ImageOrientation.allCases)
  func pngExifChunkIsExact(orientation: ImageOrientation) throws {
    let stored = GrayImage(width: 3, height: 2, bytes: Self.numbered.pixels.map { UInt8($0 * 50) })
    let want = Self.shown[orientation]!
    for (bigEndian, prefix) in [(true, false), (false, false), (true, true)] {
      let tiff = ExifBlocks.tiff(orientation: orientation.rawValue, bigEndian: bigEndian)
      let png = ExifBlocks.pngWithExif(stored, exif: (prefix ? ExifBlocks.exifHeader : []) + tiff)
      let image = try ImageDecoder.decode(png, name: "o.png")
      #expect(image.width == want.width, "\(orientation), big-endian \(bigEndian), Exif prefix \(prefix)")
      #expect(image.bytes == want.pixels.map { UInt8($0 * 50) }, "\(orientation), big-endian \(bigEndian)")
    }
  }

  @Test func webpExifChunkIsHonoured() throws {
    let plain = try ImageDecoder.decode(try Self.fixture("seven.webp"), name: "seven.webp")
    let turned = try ImageDecoder.decode(try Self.fixture("seven-orientation-6.webp"), name: "o6.webp")
    #expect(turned.width == plain.width && turned.height == plain.height)
    guard turned.width == plain.width else { return }
    #expect(Self.meanDifference(turned, plain) < 0.03)
  }

  /// Broken EXIF blocks in a JPEG: each is ignored (the picture as stored, 16x8), none is
  /// read out of bounds or stops the picture from decoding; entries a count promises but the
  /// block lacks are not there. The valid ones turn it (8x16).
  @Test func damagedExifIsIgnored() throws {
    let jpeg = ImageEncoders.jpeg(
      width: 16, height: 8, channels: 1, samples: (0..<128).map { UInt8($0 * 2) }, quality: 90)
    let good = ExifBlocks.tiff(orientation: 6, bigEndian: false)
    func patched(_ at: Int, _ bytes: [UInt8]) -> [UInt8] {
      var t = ExifBlocks.exifHeader + good
      t.replaceSubrange((6 + at)..<(6 + at + bytes.count), with: bytes)
      return t
    }
    let turned = [8, 16], stored = [16, 8]
    let app1Cases: [(String, [UInt8], [Int])] = [
      ("valid", ExifBlocks.exifHeader + good, turned),
      ("65535 entries, one there", patched(8, [0xFF, 0xFF]), turned),
      ("LONG value", patched(12, [4, 0]), turned),
      ("no Exif header", good, stored),
      ("bad byte order", patched(0, [0x49, 0x4D]), stored),
      ("IFD0 past the end", patched(4, [0xF0, 0xFF, 0xFF, 0x7F]), stored),
      ("IFD0 inside the header", patched(4, [2, 0, 0, 0]), stored),
      ("no entries", patched(8, [0, 0]), stored),
      ("value 0", patched(18, [0, 0]), stored),
      ("value 9", patched(18, [9, 0]), stored),
      ("type ASCII", patched(12, [2, 0]), stored),
      ("count 2", patched(14, [2, 0]), stored),
      ("entry cut short", ExifBlocks.exifHeader + Array(good.prefix(18)), stored),
      ("TIFF header only", ExifBlocks.exifHeader + Array(good.prefix(7)), stored),
      ("empty", [], stored),
    ]
    for (what, body, want) in app1Cases {
      let data = ExifBlocks.jpeg(jpeg, app1: body)
      let image = try ImageDecoder.decode(data, name: "exif.jpg")
      #expect([image.width, image.height] == want, "\(what)")
      #expect(ImageDecoder.size(of: data).map { [$0.width, $0.height] } == want, "\(what)")
    }
  }
}

/// EXIF blocks written byte by byte, as a camera writes them.
enum ExifBlocks {
  static let exifHeader: [UInt8] = Array("Exif".utf8) + [0, 0]

  /// A TIFF structure with one IFD0 entry: Orientation (0x0112), SHORT, count 1, `orientation`.
  static func tiff(orientation: Int, bigEndian: Bool) -> [UInt8] {
    func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
    func u32(_ v: Int) -> [UInt8] { bigEndian ? u16(v >> 16) + u16(v & 0xFFFF) : u16(v & 0xFFFF) + u16(v >> 16) }
    let order: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
    return order + u16(42) + u32(8) + u16(1) + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + [0, 0] + u32(0)
  }

  /// The JPEG with an APP1 segment holding `app1` right after its start-of-image marker.
  static func jpeg(_ jpeg: Data, app1: [UInt8]) -> Data {
    let length = app1.count + 2
    return Data(jpeg.prefix(2)) + Data([0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + app1)
      + jpeg.dropFirst(2)
  }

  /// An 8-bit gray PNG of `image` with an eXIf chunk before its pixels.
  static func pngWithExif(_ image: GrayImage, exif: [UInt8]) -> Data {
    let png = ImageEncoders.png(
      width: image.width, height: image.height, channels: 1, depth: 8, samples: image.bytes.map(Int.init))
    var out = Data(png.prefix(8 + 25))  // signature and IHDR
    ImageEncoders.chunk("eXIf", exif, into: &out)
    return out + png.dropFirst(8 + 25)
  }
}
