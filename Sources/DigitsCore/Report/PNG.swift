import CZlib
import Foundation

/// A minimal PNG encoder for 8-bit grayscale images: signature, IHDR, one zlib IDAT
/// (filter 0 on every row), IEND. Enough for the report's digit thumbnails as data URIs.
public enum PNG {
  /// `pixels` row-major, `width * height` bytes, 0 black to 255 white.
  public static func grayscale(_ pixels: [UInt8], width: Int, height: Int) -> Data {
    precondition(pixels.count == width * height && width > 0 && height > 0)
    var raw = [UInt8]()
    raw.reserveCapacity((width + 1) * height)
    for y in 0..<height {
      raw.append(0)  // filter type: none
      raw += pixels[(y * width)..<((y + 1) * width)]
    }
    var compressedSize = compressBound(uLong(raw.count))
    var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
    let status = compress2(&compressed, &compressedSize, raw, uLong(raw.count), Z_BEST_COMPRESSION)
    precondition(status == Z_OK, "zlib compress2 failed with \(status)")
    compressed.removeSubrange(Int(compressedSize)...)

    var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
    header += [8, 0, 0, 0, 0]  // bit depth 8, grayscale, deflate, adaptive filters, no interlace
    append(chunk: "IHDR", header, to: &png)
    append(chunk: "IDAT", compressed, to: &png)
    append(chunk: "IEND", [], to: &png)
    return png
  }

  /// `data:image/png;base64,...` for an `<img src>` or SVG `<image href>`.
  public static func dataURI(_ pixels: [UInt8], width: Int, height: Int) -> String {
    "data:image/png;base64," + grayscale(pixels, width: width, height: height).base64EncodedString()
  }

  static func bigEndian(_ x: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: x >> UInt32(24 - 8 * $0)) } }

  static func append(chunk type: String, _ body: [UInt8], to png: inout Data) {
    let typeBytes = Array(type.utf8)
    png += bigEndian(UInt32(body.count))
    png += typeBytes
    png += body
    let crc = (typeBytes + body).withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
    png += bigEndian(UInt32(truncatingIfNeeded: crc))
  }
}
