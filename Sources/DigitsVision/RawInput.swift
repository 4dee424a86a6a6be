import DigitsCore
import Foundation

/// Reads what a script pipes to `digits predict -`: an image file, or raw 28x28 arrays.
///
/// Raw arrays come as text (784 numbers per image, separated by spaces, commas, newlines or
/// JSON brackets; 0-255, or 0-1 when no value exceeds 1) or as bytes (784 per image, the
/// MNIST IDX pixel layout without a header). Several arrays in one stream give several
/// images. They go through the same preprocessing as photos (polarity is detected, so both
/// MNIST's light-on-dark and dark-on-light arrays work).
public enum RawInput {
  public static let side = MNISTShape.side
  public static let pixelsPerImage = MNISTShape.pixels

  /// Decodes `data` as an image when stb_image recognises it, else as raw arrays.
  public static func images(_ data: Data, name: String) throws -> [GrayImage] {
    guard !data.isEmpty else { throw DigitsError.file(name, "is empty: expected an image or 784 pixel values") }
    if looksLikeText(data) { return try parseText(data, name: name) }
    if let image = try? ImageDecoder.decode(data, name: name) { return [image] }
    if data.count % pixelsPerImage == 0 {
      let bytes = [UInt8](data)
      return stride(from: 0, to: bytes.count, by: pixelsPerImage).map {
        GrayImage(width: side, height: side, bytes: Array(bytes[$0..<($0 + pixelsPerImage)]))
      }
    }
    // Not raw bytes either: report why it is not an image.
    _ = try ImageDecoder.decode(data, name: name)
    throw DigitsError.file(name, "not an image and not raw 28x28 data")
  }

  static func looksLikeText(_ data: Data) -> Bool {
    let allowed = Set("0123456789.,;[]-+eE \t\r\n".utf8)
    return data.allSatisfy { allowed.contains($0) }
      && data.contains { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
  }

  static func parseText(_ data: Data, name: String) throws -> [GrayImage] {
    let text = String(decoding: data, as: UTF8.self)
    let separators = CharacterSet(charactersIn: " \t\r\n,;[]")
    var values: [Float] = []
    for token in text.components(separatedBy: separators) where !token.isEmpty {
      guard let v = Float(token), v.isFinite else { throw DigitsError.file(name, "\"\(token)\" is not a number") }
      values.append(v)
    }
    guard !values.isEmpty, values.count % pixelsPerImage == 0 else {
      throw DigitsError.file(name, "holds \(values.count) numbers; raw input needs 784 (28x28) per image")
    }
    guard let lo = values.min(), let hi = values.max(), lo >= 0, hi <= 255 else {
      throw DigitsError.file(name, "raw pixel values must lie in 0-255 (or 0-1)")
    }
    let scale: Float = hi <= 1 ? 1 : 1.0 / 255.0
    return stride(from: 0, to: values.count, by: pixelsPerImage).map { start in
      GrayImage(width: side, height: side, pixels: values[start..<(start + pixelsPerImage)].map { $0 * scale })
    }
  }
}
