import CHeif
import DigitsCore

/// HEIC/HEIF pictures (HEVC-coded, what iPhones store by default) through libheif: the
/// primary image, with the file's rotation and mirroring (irot/imir boxes) applied by
/// libheif as the format asks. The boxes are parsed and the size checked before any pixel is
/// decoded; libheif also refuses any item in the file larger than `ImageDecoder.maxSide`.
/// libheif is loaded on the first such picture (`CHeif`), not when `digits` starts.
enum HEIFDecoder {
  /// Why libheif cannot decode here, or nil once it is loaded and its plugins (the HEVC
  /// decoder) are registered, once per process.
  static let unavailable: String? = {
    guard dl_heif_available() != 0 else {
      return "HEIC/HEIF pictures need libheif 1.x (libheif.so.1; Debian and Ubuntu: apt-get install libheif1)"
    }
    let started = dl_heif_init()
    return started.code == heif_error_Ok ? nil : "libheif did not start (\(message(started)))"
  }()

  /// Width and height of the primary image as it is shown (turned), without decoding.
  static func size(of file: UnsafeBufferPointer<UInt8>) -> (width: Int, height: Int)? {
    try? withPrimaryImage(file, name: "") { handle in
      (Int(dl_heif_image_handle_get_width(handle)), Int(dl_heif_image_handle_get_height(handle)))
    }
  }

  static func decode(_ file: UnsafeBufferPointer<UInt8>, name: String, maxPixels: Int) throws -> GrayImage {
    try withPrimaryImage(file, name: name) { handle in
      let width = Int(dl_heif_image_handle_get_width(handle)), height = Int(dl_heif_image_handle_get_height(handle))
      try ImageDecoder.checkSize(width: width, height: height, name: name, maxPixels: maxPixels)
      let channels = dl_heif_image_handle_has_alpha_channel(handle) != 0 ? 4 : 3
      var image: OpaquePointer?
      let error = dl_heif_decode_image(
        handle, &image, heif_colorspace_RGB, channels == 4 ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB)
      guard error.code == heif_error_Ok, let image else {
        throw DigitsError.file(name, "damaged or truncated image: HEIF data cannot be decoded (\(message(error)))")
      }
      defer { dl_heif_image_release(image) }
      var stride: Int32 = 0
      let w = Int(dl_heif_image_get_width(image, heif_channel_interleaved))
      let h = Int(dl_heif_image_get_height(image, heif_channel_interleaved))
      guard let plane = dl_heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride),
        w == width, h == height, Int(stride) >= w * channels
      else {
        throw DigitsError.file(name, "damaged image: libheif decoded no \(width)x\(height) picture")
      }
      let rows = UnsafeBufferPointer(start: plane, count: Int(stride) * (h - 1) + w * channels)
      var samples = [UInt8]()
      samples.reserveCapacity(w * h * channels)
      for y in 0..<h { samples += rows[(y * Int(stride))..<(y * Int(stride) + w * channels)] }
      return samples.withUnsafeBufferPointer {
        ImageDecoder.luminance($0, width: w, height: h, channels: channels, scale: 1.0 / 255.0)
      }
    }
  }

  /// Parses the file's boxes and hands `body` the primary image's handle.
  static func withPrimaryImage<T>(
    _ file: UnsafeBufferPointer<UInt8>, name: String, _ body: (OpaquePointer) throws -> T
  ) throws -> T {
    if let unavailable { throw DigitsError.file(name, "cannot be read: \(unavailable)") }
    guard let context = dl_heif_context_alloc() else {
      throw DigitsError.file(name, "cannot be read: libheif did not start")
    }
    defer { dl_heif_context_free(context) }
    dl_heif_context_set_maximum_image_size_limit(context, Int32(ImageDecoder.maxSide))
    // Tiles decoded on the calling thread: the server already decodes on a pool of its own.
    dl_heif_context_set_max_decoding_threads(context, 0)
    var error = dl_heif_context_read_from_memory_without_copy(context, file.baseAddress, file.count)
    if error.subcode == heif_suberror_Security_limit_exceeded {
      throw DigitsError.file(
        name,
        "image is larger than the limit (\(ImageDecoder.maxSide) px a side; \(message(error))); scale it down first")
    }
    if error.subcode == heif_suberror_End_of_data {
      throw DigitsError.file(name, "damaged or truncated image: \(message(error))")
    }
    guard error.code == heif_error_Ok else {
      throw DigitsError.file(name, "not a readable HEIF image (\(message(error)))")
    }
    var handle: OpaquePointer?
    error = dl_heif_context_get_primary_image_handle(context, &handle)
    guard error.code == heif_error_Ok, let handle else {
      throw DigitsError.file(name, "not a readable HEIF image (\(message(error)))")
    }
    defer { dl_heif_image_handle_release(handle) }
    return try body(handle)
  }

  /// libheif's message on one line (it ends some with a newline).
  static func message(_ error: heif_error) -> String {
    let text = error.message.map { String(cString: $0) } ?? ""
    let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
    return line.isEmpty ? "error \(error.code.rawValue)" : line
  }
}
