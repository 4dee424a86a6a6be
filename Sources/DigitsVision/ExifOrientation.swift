/// Finds the EXIF `Orientation` tag in a JPEG (APP1 "Exif" segment), a PNG (`eXIf` chunk)
/// or a WebP (`EXIF` chunk). The bytes come from strangers: every offset and count is checked
/// against the end of the input before it is read, loops are bounded by the input's length,
/// nothing is allocated and nothing recurses; only IFD0 is read (the tag lives there), so a
/// chain of IFDs pointing at each other is never followed. Anything odd means "as stored",
/// which is what viewers show for a picture whose EXIF they cannot read.
enum ExifOrientation {
  /// The orientation recorded in `file`, or `.up` when there is none (or it is unreadable).
  /// HEIF is not searched: libheif applies its irot/imir boxes, which rule there, and the
  /// Exif copy is informative (libheif's tools and ImageMagick ignore it too).
  static func read(_ file: UnsafeBufferPointer<UInt8>, format: ImageDecoder.Format) -> ImageOrientation {
    let tiff: Range<Int>?
    switch format {
    case .jpeg: tiff = jpegExif(file)
    case .png: tiff = pngExif(file)
    case .webp: tiff = webpExif(file)
    case .bmp, .gif, .pnm, .heif: tiff = nil
    }
    guard let tiff else { return .up }
    return orientation(inTIFF: UnsafeBufferPointer(rebasing: file[tiff])) ?? .up
  }

  /// The TIFF structure inside a JPEG's first APP1 segment that starts "Exif\0\0". Segments
  /// are walked from the start of the file to the first scan.
  static func jpegExif(_ b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
    var at = 2
    while at + 4 <= b.count {
      guard b[at] == 0xFF else { return nil }
      let marker = b[at + 1]
      if marker == 0xFF {  // fill byte before a marker
        at += 1
        continue
      }
      // Start of scan, end of image, or a marker without a length: no EXIF before the pixels.
      if marker == 0xDA || marker == 0xD9 || (0xD0...0xD8).contains(marker) || marker == 0x01 { return nil }
      let length = Int(b[at + 2]) << 8 | Int(b[at + 3])
      guard length >= 2, at + 2 + length <= b.count else { return nil }
      let body = (at + 4)..<(at + 2 + length)
      if marker == 0xE1, startsWithExifHeader(b, body) { return (body.lowerBound + 6)..<body.upperBound }
      at += 2 + length
    }
    return nil
  }

  /// The body of a PNG's `eXIf` chunk (some writers put the JPEG-style "Exif\0\0" before it).
  static func pngExif(_ b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
    var at = 8
    while at + 12 <= b.count {
      let length = Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3])
      guard length <= b.count - at - 12 else { return nil }
      let type = (b[at + 4], b[at + 5], b[at + 6], b[at + 7])
      if type == (0x49, 0x45, 0x4E, 0x44) { return nil }  // IEND
      if type == (0x65, 0x58, 0x49, 0x66) { return skippingExifHeader(b, (at + 8)..<(at + 8 + length)) }  // eXIf
      at += 12 + length
    }
    return nil
  }

  /// The body of a WebP's `EXIF` chunk: RIFF chunks (four-letter type, little-endian size,
  /// data padded to an even length) after the 12-byte "RIFF size WEBP" header.
  static func webpExif(_ b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
    var at = 12
    while at + 8 <= b.count {
      let size = Int(b[at + 4]) | Int(b[at + 5]) << 8 | Int(b[at + 6]) << 16 | Int(b[at + 7]) << 24
      guard size <= b.count - at - 8 else { return nil }
      if b[at] == 0x45, b[at + 1] == 0x58, b[at + 2] == 0x49, b[at + 3] == 0x46 {  // EXIF
        return skippingExifHeader(b, (at + 8)..<(at + 8 + size))
      }
      at += 8 + size + (size & 1)
    }
    return nil
  }

  static func startsWithExifHeader(_ b: UnsafeBufferPointer<UInt8>, _ body: Range<Int>) -> Bool {
    let header: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]  // "Exif\0\0"
    return body.count >= header.count && header.indices.allSatisfy { b[body.lowerBound + $0] == header[$0] }
  }

  static func skippingExifHeader(_ b: UnsafeBufferPointer<UInt8>, _ body: Range<Int>) -> Range<Int> {
    startsWithExifHeader(b, body) ? (body.lowerBound + 6)..<body.upperBound : body
  }

  /// The Orientation entry of IFD0 in a TIFF structure ("II*\0" little-endian or "MM\0*"
  /// big-endian, then the offset of IFD0; an IFD is a 2-byte entry count and 12-byte entries:
  /// tag, type, count, value). Offsets are from the TIFF header. nil when absent or invalid.
  static func orientation(inTIFF t: UnsafeBufferPointer<UInt8>) -> ImageOrientation? {
    guard t.count >= 8 else { return nil }
    let little: Bool
    switch (t[0], t[1], t[2], t[3]) {
    case (0x49, 0x49, 0x2A, 0x00): little = true
    case (0x4D, 0x4D, 0x00, 0x2A): little = false
    default: return nil
    }
    func u16(_ at: Int) -> Int { little ? Int(t[at]) | Int(t[at + 1]) << 8 : Int(t[at]) << 8 | Int(t[at + 1]) }
    func u32(_ at: Int) -> Int { little ? u16(at) | u16(at + 2) << 16 : u16(at) << 16 | u16(at + 2) }
    let ifd = u32(4)
    guard ifd >= 8, ifd <= t.count - 2 else { return nil }
    // Entries past the end of the input are not there, whatever the count says.
    let entries = min(u16(ifd), (t.count - ifd - 2) / 12)
    for i in 0..<entries {
      let entry = ifd + 2 + 12 * i
      guard u16(entry) == 0x0112 else { continue }
      let type = u16(entry + 2), count = u32(entry + 4)
      // SHORT as the standard says; a LONG is accepted too (some writers use it).
      let value: Int
      switch type {
      case 3: value = u16(entry + 8)
      case 4: value = u32(entry + 8)
      default: return nil
      }
      return count == 1 ? ImageOrientation(rawValue: value) : nil
    }
    return nil
  }
}
