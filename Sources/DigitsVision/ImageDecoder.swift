import CStb
import DigitsCore
import Foundation

/// Decodes image files: PNG, JPEG (baseline and progressive), BMP, GIF (first frame),
/// PGM/PPM (binary P5/P6) through stb_image, WebP through libwebp, HEIC/HEIF through libheif,
/// chosen by the file's magic bytes before any decoder sees it: stb_image also parses PSD,
/// HDR, PIC and TGA, formats nobody sends a digit reader, and each parser is attack surface
/// for a server.
/// 8- and 16-bit, gray, gray+alpha, RGB, RGBA. Colour becomes luminance (Rec. 601:
/// 0.299 R + 0.587 G + 0.114 B) and alpha is composited on white, because a transparent
/// background around a drawn digit means paper. The picture is then turned upright as its
/// EXIF orientation says (`ExifOrientation`), so everything after sees it as a viewer shows it.
public enum ImageDecoder {
  /// Largest side accepted, in pixels.
  public static let maxSide = 20_000
  /// Largest pixel count accepted (width * height): a 100-megapixel photo still decodes.
  public static let maxPixels = 100_000_000
  /// Largest file read, in bytes.
  public static let maxFileBytes = 256 << 20

  /// Reads and decodes one file. Errors name the file and say what is wrong.
  public static func read(path: String) throws -> GrayImage {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw DigitsError.file(path, "no such file")
    }
    guard !isDirectory.boolValue else { throw DigitsError.file(path, "is a folder, not an image") }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw DigitsError.file(path, "cannot be read (permission?)")
    }
    defer { try? handle.close() }
    let data: Data
    do {
      guard let read = try handle.read(upToCount: maxFileBytes + 1) else {
        throw DigitsError.file(path, "is empty (0 bytes)")
      }
      data = read
    } catch let error as DigitsError {
      throw error
    } catch {
      throw DigitsError.file(path, "cannot be read: \(error.localizedDescription)")
    }
    guard data.count <= maxFileBytes else { throw DigitsError.file(path, "is larger than \(maxFileBytes >> 20) MiB") }
    return try decode(data, name: path)
  }

  /// Decodes image bytes; `name` is used in error messages. `maxPixels` lets a server refuse
  /// big pictures before spending memory on them.
  public static func decode(_ data: Data, name: String, maxPixels: Int = maxPixels) throws -> GrayImage {
    guard !data.isEmpty else { throw DigitsError.file(name, "is empty (0 bytes)") }
    guard data.count <= Int(Int32.max) else { throw DigitsError.file(name, "is too large") }
    return try data.withUnsafeBytes { raw -> GrayImage in
      let bytes = raw.bindMemory(to: UInt8.self)
      guard let format = Format(magic: bytes) else {
        throw DigitsError.file(name, "not a readable image (unknown format; supported: \(supported))")
      }
      let image: GrayImage
      switch format {
      case .webp: image = try WebPDecoder.decode(bytes, name: name, maxPixels: maxPixels)
      case .heif: image = try HEIFDecoder.decode(bytes, name: name, maxPixels: maxPixels)
      case .png, .jpeg, .bmp, .gif, .pnm: image = try decodeWithStb(bytes, name: name, maxPixels: maxPixels)
      }
      return image.oriented(ExifOrientation.read(bytes, format: format))
    }
  }

  /// The formats read, for error messages.
  static let supported = "PNG, JPEG, BMP, GIF, PGM/PPM, WebP, HEIC"

  /// PNG (the common kinds through `FastPNG`), JPEG, BMP, GIF and PNM through stb_image.
  static func decodeWithStb(_ bytes: UnsafeBufferPointer<UInt8>, name: String, maxPixels: Int) throws -> GrayImage {
    let length = Int32(bytes.count)
    var w: Int32 = 0, h: Int32 = 0, channels: Int32 = 0
    guard stbi_info_from_memory(bytes.baseAddress, length, &w, &h, &channels) == 1 else {
      throw DigitsError.file(
        name, "not a readable image (\(reason(default: "unknown format")); supported: \(supported))")
    }
    try checkSize(width: Int(w), height: Int(h), name: name, maxPixels: maxPixels)
    // stb_image pads a short BMP, PNM, GIF or JPEG with zeros instead of failing.
    if let missing = ImageTruncation.problem(bytes, width: Int(w), height: Int(h)) {
      throw DigitsError.file(name, "damaged or truncated image: \(missing)")
    }
    if let png = FastPNG.decode(bytes) {
      return png.samples.withUnsafeBufferPointer {
        luminance($0, width: png.width, height: png.height, channels: png.channels, scale: 1.0 / 255.0)
      }
    }
    if stbi_is_16_bit_from_memory(bytes.baseAddress, length) == 1 {
      guard let p = stbi_load_16_from_memory(bytes.baseAddress, length, &w, &h, &channels, 0) else {
        throw DigitsError.file(name, "cannot be decoded, corrupt or truncated (\(reason(default: "bad data")))")
      }
      defer { stbi_image_free(p) }
      let count = Int(w) * Int(h) * Int(channels)
      return luminance(
        UnsafeBufferPointer(start: p, count: count), width: Int(w), height: Int(h),
        channels: Int(channels), scale: 1.0 / 65535.0)
    }
    guard let p = stbi_load_from_memory(bytes.baseAddress, length, &w, &h, &channels, 0) else {
      throw DigitsError.file(name, "cannot be decoded, corrupt or truncated (\(reason(default: "bad data")))")
    }
    defer { stbi_image_free(p) }
    let count = Int(w) * Int(h) * Int(channels)
    return luminance(
      UnsafeBufferPointer(start: p, count: count), width: Int(w), height: Int(h),
      channels: Int(channels), scale: 1.0 / 255.0)
  }

  /// Width and height from the file's header as the picture is shown (turned upright), without
  /// decoding; nil when it is no image.
  public static func size(of data: Data) -> (width: Int, height: Int)? {
    guard !data.isEmpty, data.count <= Int(Int32.max) else { return nil }
    return data.withUnsafeBytes { raw -> (width: Int, height: Int)? in
      let bytes = raw.bindMemory(to: UInt8.self)
      guard let format = Format(magic: bytes) else { return nil }
      let stored: (width: Int, height: Int)
      switch format {
      case .webp:
        guard let size = WebPDecoder.size(of: bytes) else { return nil }
        stored = size
      case .heif:
        return HEIFDecoder.size(of: bytes)
      case .png, .jpeg, .bmp, .gif, .pnm:
        var w: Int32 = 0, h: Int32 = 0, channels: Int32 = 0
        guard stbi_info_from_memory(bytes.baseAddress, Int32(bytes.count), &w, &h, &channels) == 1 else { return nil }
        stored = (Int(w), Int(h))
      }
      return ExifOrientation.read(bytes, format: format).swapsSides ? (stored.height, stored.width) : stored
    }
  }

  /// The formats decoded, told apart by their first bytes. None of these signatures passes
  /// stb_image's tests for PSD ("8BPS"), HDR ("#?RADIANCE"), PIC or TGA (second byte 0 or 1),
  /// so a file that starts with one is decoded by that format's parser or not at all.
  public enum Format: String, Sendable, CaseIterable {
    case png, jpeg, bmp, gif, pnm, webp, heif

    /// HEIF major brands of HEVC-coded pictures (ISO/IEC 23008-12 and what cameras write):
    /// AVIF ("avif") and other ISO-BMFF files (MP4 video, "isom") are not offered.
    static let heifBrands: Set<String> = ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "heif"]

    /// The format whose signature `bytes` start with; nil for anything else.
    public init?(magic bytes: UnsafeBufferPointer<UInt8>) {
      func starts(_ signature: [UInt8]) -> Bool {
        bytes.count >= signature.count && zip(bytes, signature).allSatisfy { $0 == $1 }
      }
      if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
        self = .png
      } else if starts([0xFF, 0xD8, 0xFF]) {
        self = .jpeg
      } else if starts(Array("BM".utf8)) {
        self = .bmp
      } else if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) {
        self = .gif
      } else if starts(Array("P5".utf8)) || starts(Array("P6".utf8)) {
        self = .pnm
      } else if starts(Array("RIFF".utf8)), bytes.count >= 12, Array(bytes[8..<12]) == Array("WEBP".utf8) {
        self = .webp
      } else if bytes.count >= 12, Array(bytes[4..<8]) == Array("ftyp".utf8),
        Self.heifBrands.contains(String(decoding: bytes[8..<12], as: UTF8.self))
      {
        self = .heif
      } else {
        return nil
      }
    }

    public init?(magic data: Data) {
      guard let format = data.withUnsafeBytes({ Format(magic: $0.bindMemory(to: UInt8.self)) }) else { return nil }
      self = format
    }
  }

  static func checkSize(width: Int, height: Int, name: String, maxPixels: Int = maxPixels) throws {
    guard width > 0, height > 0 else { throw DigitsError.file(name, "image is \(width)x\(height): nothing to read") }
    guard width <= maxSide, height <= maxSide, width * height <= maxPixels else {
      throw DigitsError.file(
        name,
        "image is \(width)x\(height), larger than the limit "
          + "(\(maxSide) px a side, \(maxPixels / 1_000_000) megapixels); scale it down first")
    }
  }

  /// stb_image's failure reason (thread-local in the library), or `default`.
  static func reason(default fallback: String) -> String {
    guard let r = stbi_failure_reason() else { return fallback }
    let text = String(cString: r)
    return text.isEmpty ? fallback : text
  }

  /// Interleaved samples -> luminance in [0, 1], alpha composited on white.
  static func luminance<T: BinaryInteger>(
    _ samples: UnsafeBufferPointer<T>, width: Int, height: Int,
    channels: Int, scale: Float
  ) -> GrayImage {
    let n = width * height
    precondition((1...4).contains(channels) && samples.count >= n * channels)
    let out = [Float](unsafeUninitializedCapacity: n) { o, initialized in
      initialized = n
      guard n > 0, let s = samples.baseAddress, let o = o.baseAddress else { return }
      switch channels {
      case 1 where scale == 1.0 / 255.0:
        let table = (0..<256).map { Float($0) * scale }
        for i in 0..<n { o[i] = table[Int(s[i])] }
      case 1:
        for i in 0..<n { o[i] = Float(s[i]) * scale }
      case 3 where T.self == UInt8.self:
        // RGB scans and photographs rarely repeat a pixel: one straight loop the compiler
        // vectorises, the same sum as `colour`.
        for i in 0..<n {
          let r = Float(s[3 * i]), g = Float(s[3 * i + 1]), b = Float(s[3 * i + 2])
          o[i] = min(1, max(0, (0.299 * r + 0.587 * g + 0.114 * b) * scale))
        }
      default:
        // Drawings and canvas exports are mostly runs of one colour: a pixel equal to the
        // one before takes its value instead of recomputing it.
        var value = colour(s, channels: channels, scale: scale)
        o[0] = value
        if T.self == UInt8.self && channels == 4 {
          let raw = UnsafeRawPointer(s)
          var last = raw.loadUnaligned(as: UInt32.self)
          for i in 1..<n {
            let key = raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
            if key != last {
              last = key
              value = colour(s + 4 * i, channels: 4, scale: scale)
            }
            o[i] = value
          }
        } else {
          var previous = s
          for i in 1..<n {
            let p = s + channels * i
            var same = true
            for c in 0..<channels where p[c] != previous[c] { same = false }
            if !same {
              previous = p
              value = colour(p, channels: channels, scale: scale)
            }
            o[i] = value
          }
        }
      }
    }
    return GrayImage(width: width, height: height, pixels: out)
  }

  /// One gray+alpha, RGB or RGBA pixel's luminance, clamped to [0, 1].
  @inline(__always)
  static func colour<T: BinaryInteger>(_ p: UnsafePointer<T>, channels: Int, scale: Float) -> Float {
    let v: Float
    switch channels {
    case 2:
      let g = Float(p[0]) * scale, a = Float(p[1]) * scale
      v = g * a + (1 - a)
    case 3:
      let r = Float(p[0]), g = Float(p[1]), b = Float(p[2])
      v = (0.299 * r + 0.587 * g + 0.114 * b) * scale
    default:
      let r = Float(p[0]), g = Float(p[1]), b = Float(p[2])
      let a = Float(p[3]) * scale
      v = (0.299 * r + 0.587 * g + 0.114 * b) * scale * a + (1 - a)
    }
    return min(1, max(0, v))
  }
}
