import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// WebP (libwebp) and HEIC (libheif) pictures made by the reference encoders
/// (Tests/Pictures/make-pictures.py) read as the same picture saved as PNG; damaged and
/// crafted files give one error line naming the file, before any pixel memory for a huge
/// picture is spent.
@Suite struct WebPHEICTests {
  static func fixture(_ name: String) throws -> Data { try OrientationTests.fixture(name) }

  @Test(arguments: ["seven.webp", "seven-alpha.webp", "seven-orientation-6.webp", "seven.heic", "seven-irot.heic"])
  func readsLikeThePNG(name: String) throws {
    try OrientationTests.expectReadsAsUpright(name, meanTolerance: 0.02)
  }

  @Test func formatsAreToldByMagicBytes() throws {
    #expect(ImageDecoder.Format(magic: try Self.fixture("seven.webp")) == .webp)
    #expect(ImageDecoder.Format(magic: try Self.fixture("seven.heic")) == .heif)
    func ftyp(_ brand: String) -> Data { Data([0, 0, 0, 24] + Array("ftyp\(brand)".utf8) + [0, 0, 0, 0]) }
    #expect(ImageDecoder.Format(magic: ftyp("mif1")) == .heif)
    #expect(ImageDecoder.Format(magic: ftyp("avif")) == nil)
    #expect(ImageDecoder.Format(magic: ftyp("isom")) == nil)
    #expect(ImageDecoder.Format(magic: Data("RIFF\u{0}\u{0}\u{0}\u{0}WAVE".utf8)) == nil)
  }

  /// One line that starts with the file's name and contains each fragment.
  func expectError(
    _ data: Data, name: String, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation
  ) {
    do {
      let image = try ImageDecoder.decode(data, name: name)
      Issue.record("decoded \(image.width)x\(image.height) from bad input \(name)", sourceLocation: sourceLocation)
    } catch let error as DigitsError {
      let text = error.description
      #expect(text.hasPrefix(name + ": ") && !text.contains("\n"), "\(text)", sourceLocation: sourceLocation)
      for f in fragments { #expect(text.contains(f), "\(f) not in \(text)", sourceLocation: sourceLocation) }
    } catch {
      Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
    }
  }

  @Test(arguments: ["seven.webp", "seven-alpha.webp", "seven-orientation-6.webp", "seven.heic", "seven-irot.heic"])
  func truncatedFiles(name: String) throws {
    let data = try Self.fixture(name)
    for keep in [data.count - 1, data.count * 3 / 4, data.count / 2] {
      expectError(data.prefix(keep), name: "\(keep)-of-\(name)", "truncated")
    }
    for keep in [40, 16] { expectError(data.prefix(keep), name: "\(keep)-of-\(name)") }
  }

  /// Headers that promise a huge picture are refused from the header alone (the size check
  /// runs before libwebp or libheif is asked for pixels).
  @Test func hugePicturesAreRefusedFromTheHeader() throws {
    // A lossy WebP's frame header holds 14-bit sides: 16383 x 16383 is 268 megapixels.
    var webp = try Self.fixture("seven.webp")
    let frame = try #require(webp.firstRange(of: Data([0x9D, 0x01, 0x2A])))
    webp.replaceSubrange(frame.upperBound..<(frame.upperBound + 4), with: [0xFF, 0x3F, 0xFF, 0x3F])
    expectError(webp, name: "huge.webp", "16383x16383", "limit")
    // An extended WebP's canvas: 24-bit sides minus one, 30000 x 30000.
    var extended = try Self.fixture("seven-orientation-6.webp")
    let canvas = try #require(extended.firstRange(of: Data("VP8X".utf8))).upperBound + 8
    extended.replaceSubrange(canvas..<(canvas + 6), with: [0x2F, 0x75, 0x00, 0x2F, 0x75, 0x00])
    expectError(extended, name: "huge-canvas.webp")
    // HEIC: the image's ispe box says 30000 x 30000.
    var heic = try Self.fixture("seven.heic")
    let ispe = try #require(heic.firstRange(of: Data("ispe".utf8))).upperBound + 4
    heic.replaceSubrange(ispe..<(ispe + 8), with: [0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30])
    expectError(heic, name: "huge.heic", "larger than the limit")
  }

  @Test func craftedFiles() throws {
    // The VP8X flags say animated: the still decoder is not asked to guess a frame.
    var animated = try Self.fixture("seven-orientation-6.webp")
    let flags = try #require(animated.firstRange(of: Data("VP8X".utf8))).upperBound + 4
    animated[flags] |= 0x02
    expectError(animated, name: "animated.webp")
    // A RIFF size larger than the file.
    var long = try Self.fixture("seven.webp")
    long.replaceSubrange(4..<8, with: [0xFF, 0xFF, 0, 0])
    expectError(long, name: "long.webp", "truncated", "header promises")
    // Pixel data replaced by noise, header intact.
    for name in ["seven.webp", "seven.heic"] {
      var noisy = try Self.fixture(name)
      var state: UInt32 = 12345
      for i in (noisy.count - 300)..<noisy.count {
        state = state &* 1_103_515_245 &+ 12345
        noisy[i] = UInt8(state >> 24)
      }
      if let image = try? ImageDecoder.decode(noisy, name: name) {
        #expect(image.width == 72 && image.height == 96, "\(name): noise decoded as \(image.width)x\(image.height)")
      }
    }
    // HEIF boxes without a picture: just the ftyp box.
    expectError(try Self.fixture("seven.heic").prefix(24), name: "ftyp-only.heic", "not a readable HEIF image")
  }
}
