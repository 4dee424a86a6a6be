import CStb
import Foundation

/// Decodes image files through stb_image: PNG, JPEG (baseline and progressive), BMP, GIF
/// (first frame), PGM/PPM (binary P5/P6), also TGA, PSD and HDR as stb_image reads them.
/// 8- and 16-bit, gray, gray+alpha, RGB, RGBA. Colour becomes luminance (Rec. 601:
/// 0.299 R + 0.587 G + 0.114 B) and alpha is composited on white, because a transparent
/// background around a drawn digit means paper.
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
    guard let handle = FileHandle(forReadingAtPath: path) else { throw DigitsError.file(path, "cannot be read (permission?)") }
    defer { try? handle.close() }
    let data: Data
    do {
      guard let read = try handle.read(upToCount: maxFileBytes + 1) else { throw DigitsError.file(path, "is empty (0 bytes)") }
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
      let length = Int32(bytes.count)
      var w: Int32 = 0, h: Int32 = 0, channels: Int32 = 0
      guard stbi_info_from_memory(bytes.baseAddress, length, &w, &h, &channels) == 1 else {
        throw DigitsError.file(name, "not a readable image (\(reason(default: "unknown format")); "
          + "supported: PNG, JPEG, BMP, GIF, PGM/PPM)")
      }
      try checkSize(width: Int(w), height: Int(h), name: name, maxPixels: maxPixels)
      // stb_image pads a short BMP, PNM, GIF or JPEG with zeros instead of failing.
      if let missing = ImageTruncation.problem(bytes, width: Int(w), height: Int(h)) {
        throw DigitsError.file(name, "truncated image: \(missing)")
      }
      if stbi_is_16_bit_from_memory(bytes.baseAddress, length) == 1 {
        guard let p = stbi_load_16_from_memory(bytes.baseAddress, length, &w, &h, &channels, 0) else {
          throw DigitsError.file(name, "cannot be decoded, corrupt or truncated (\(reason(default: "bad data")))")
        }
        defer { stbi_image_free(p) }
        let count = Int(w) * Int(h) * Int(channels)
        return luminance(UnsafeBufferPointer(start: p, count: count), width: Int(w), height: Int(h),
                         channels: Int(channels), scale: 1.0 / 65535.0)
      }
      guard let p = stbi_load_from_memory(bytes.baseAddress, length, &w, &h, &channels, 0) else {
        throw DigitsError.file(name, "cannot be decoded, corrupt or truncated (\(reason(default: "bad data")))")
      }
      defer { stbi_image_free(p) }
      let count = Int(w) * Int(h) * Int(channels)
      return luminance(UnsafeBufferPointer(start: p, count: count), width: Int(w), height: Int(h),
                       channels: Int(channels), scale: 1.0 / 255.0)
    }
  }

  /// Width and height from the file's header, without decoding; nil when it is no image.
  public static func size(of data: Data) -> (width: Int, height: Int)? {
    guard !data.isEmpty, data.count <= Int(Int32.max) else { return nil }
    return data.withUnsafeBytes { raw in
      let bytes = raw.bindMemory(to: UInt8.self)
      var w: Int32 = 0, h: Int32 = 0, channels: Int32 = 0
      guard stbi_info_from_memory(bytes.baseAddress, Int32(bytes.count), &w, &h, &channels) == 1 else { return nil }
      return (Int(w), Int(h))
    }
  }

  static func checkSize(width: Int, height: Int, name: String, maxPixels: Int = maxPixels) throws {
    guard width > 0, height > 0 else { throw DigitsError.file(name, "image is \(width)x\(height): nothing to read") }
    guard width <= maxSide, height <= maxSide, width * height <= maxPixels else {
      throw DigitsError.file(name, "image is \(width)x\(height), larger than the limit "
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
  static func luminance<T: BinaryInteger>(_ samples: UnsafeBufferPointer<T>, width: Int, height: Int,
                                          channels: Int, scale: Float) -> GrayImage {
    let n = width * height
    var out = [Float](repeating: 1, count: n)
    out.withUnsafeMutableBufferPointer { o in
      switch channels {
      case 1 where scale == 1.0 / 255.0:
        let table = (0..<256).map { Float($0) * scale }
        for i in 0..<n { o[i] = table[Int(samples[i])] }
      case 1:
        for i in 0..<n { o[i] = Float(samples[i]) * scale }
      case 2:
        for i in 0..<n {
          let g = Float(samples[2 * i]) * scale, a = Float(samples[2 * i + 1]) * scale
          o[i] = g * a + (1 - a)
        }
      case 3:
        for i in 0..<n {
          let r = Float(samples[3 * i]), g = Float(samples[3 * i + 1]), b = Float(samples[3 * i + 2])
          o[i] = (0.299 * r + 0.587 * g + 0.114 * b) * scale
        }
      default:
        for i in 0..<n {
          let r = Float(samples[4 * i]), g = Float(samples[4 * i + 1]), b = Float(samples[4 * i + 2])
          let a = Float(samples[4 * i + 3]) * scale
          o[i] = (0.299 * r + 0.587 * g + 0.114 * b) * scale * a + (1 - a)
        }
      }
      if channels > 1 { for i in 0..<n { o[i] = min(1, max(0, o[i])) } }
    }
    return GrayImage(width: width, height: height, pixels: out)
  }
}
