import CWebP
import DigitsCore

/// Still WebP pictures (lossy VP8, lossless VP8L, with or without alpha) through libwebp:
/// what browsers save from the web and many Android cameras and chat apps write. The header
/// is read and the size checked before any pixel memory exists; libwebp then decodes into
/// memory sized here, and fails (rather than padding) when data is missing.
enum WebPDecoder {
  /// Width and height from the header, without decoding.
  static func size(of file: UnsafeBufferPointer<UInt8>) -> (width: Int, height: Int)? {
    var width: Int32 = 0, height: Int32 = 0, alpha: Int32 = 0, animated: Int32 = 0
    guard cwebp_features(file.baseAddress, file.count, &width, &height, &alpha, &animated) == 0 else { return nil }
    return (Int(width), Int(height))
  }

  static func decode(_ file: UnsafeBufferPointer<UInt8>, name: String, maxPixels: Int) throws -> GrayImage {
    // The RIFF header's size covers the whole file: less than that is a cut-off download.
    let riff = Int(file[4]) | Int(file[5]) << 8 | Int(file[6]) << 16 | Int(file[7]) << 24
    if file.count < 8 + riff {
      throw DigitsError.file(
        name, "damaged or truncated image: WebP holds \(file.count) bytes, its header promises \(8 + riff)")
    }
    var width: Int32 = 0, height: Int32 = 0, alpha: Int32 = 0, animated: Int32 = 0
    let status = cwebp_features(file.baseAddress, file.count, &width, &height, &alpha, &animated)
    guard status == 0 else { throw DigitsError.file(name, "not a readable WebP (\(reason(status)))") }
    guard animated == 0 else {
      throw DigitsError.file(name, "is an animated WebP; save the frame with the digit as a still picture")
    }
    try ImageDecoder.checkSize(width: Int(width), height: Int(height), name: name, maxPixels: maxPixels)
    let (w, h, channels) = (Int(width), Int(height), alpha != 0 ? 4 : 3)
    var samples = [UInt8](repeating: 0, count: w * h * channels)
    let decoded = samples.withUnsafeMutableBufferPointer { out in
      cwebp_decode_into(file.baseAddress, file.count, out.baseAddress, out.count, Int32(w * channels), Int32(channels))
    }
    guard decoded == 0 else {
      throw DigitsError.file(name, "damaged or truncated image: WebP data cannot be decoded (\(reason(decoded)))")
    }
    return samples.withUnsafeBufferPointer {
      ImageDecoder.luminance($0, width: w, height: h, channels: channels, scale: 1.0 / 255.0)
    }
  }

  /// libwebp's VP8StatusCode in words.
  static func reason(_ status: Int32) -> String {
    switch status {
    case 1: "out of memory"
    case 2: "invalid parameter"
    case 3: "bad bitstream"
    case 4: "unsupported feature"
    case 5: "suspended"
    case 6: "user abort"
    case 7: "not enough data"
    default: "status \(status)"
    }
  }
}
