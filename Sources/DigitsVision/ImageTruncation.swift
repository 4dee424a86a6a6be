import DigitsCore

/// Checks that a file holds all the bytes its header promises, for the formats where
/// stb_image silently fills missing pixels with zeros: BMP (uncompressed), binary PGM/PPM,
/// GIF (trailer byte) and JPEG (end-of-image marker).
enum ImageTruncation {
  /// What is missing, or nil when the file looks complete (or is another format).
  static func problem(_ b: UnsafeBufferPointer<UInt8>, width: Int, height: Int) -> String? {
    let n = b.count
    guard n >= 4 else { return nil }
    if b[0] == 0x42 && b[1] == 0x4D { return bmp(b, width: width, height: height) }
    if b[0] == 0x89 && b[1] == 0x50 && b[2] == 0x4E && b[3] == 0x47 { return pngChunks(b) }
    if b[0] == 0x50 && (b[1] == 0x35 || b[1] == 0x36) { return pnm(b, width: width, height: height) }
    if b[0] == 0x47 && b[1] == 0x49 && b[2] == 0x46 {
      return b[n - 1] == 0x3B ? nil : "GIF ends without its trailer byte"
    }
    if b[0] == 0xFF && b[1] == 0xD8 {
      if let missing = jpegHuffmanTables(b) { return missing }
      // The end-of-image marker, allowing a little trailing padding.
      for i in stride(from: n - 2, through: max(2, n - 64), by: -1) where b[i] == 0xFF && b[i + 1] == 0xD9 {
        return nil
      }
      return "JPEG ends without its end-of-image marker"
    }
    return nil
  }

  /// A PNG chunk whose length runs past the end of the file. NOTE: stb_image grows its IDAT
  /// buffer to the declared lengths before reading (a 410-byte file asked for 1.4 GB; found
  /// by Fuzz/, test in FuzzRegressionTests).
  static func pngChunks(_ b: UnsafeBufferPointer<UInt8>) -> String? {
    var at = 8
    while at + 8 <= b.count {
      let length = Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3])
      guard at + 12 + length <= b.count else {
        return "PNG chunk at byte \(at) declares \(length) bytes, the file ends at \(b.count)"
      }
      if b[at + 4] == 0x49 && b[at + 5] == 0x45 && b[at + 6] == 0x4E && b[at + 7] == 0x44 { return nil }  // IEND
      at += 12 + length
    }
    return nil
  }

  /// A JPEG scan that uses a Huffman table no DHT segment before it defines. NOTE: stb_image
  /// 2.27 (Debian's libstb) then decodes with an uninitialised table and reads far out of
  /// bounds (found by Fuzz/, test in FuzzRegressionTests).
  static func jpegHuffmanTables(_ b: UnsafeBufferPointer<UInt8>) -> String? {
    var defined = Set<Int>()  // DC tables 0-3, AC tables 4-7
    var at = 2
    while at + 4 <= b.count {
      let marker = b[at + 1]
      // Entropy-coded data, stuffed zeros, restart markers and fill bytes are stepped over.
      guard b[at] == 0xFF, marker != 0x00, marker != 0xFF, !(0xD0...0xD7).contains(marker) else {
        at += 1
        continue
      }
      if marker == 0xD9 { return nil }
      let length = Int(b[at + 2]) << 8 | Int(b[at + 3])
      let end = min(b.count, at + 2 + length)
      if marker == 0xC4 {
        var p = at + 4
        while p + 17 <= end {
          defined.insert(Int(b[p] >> 4 & 1) << 2 | Int(b[p] & 3))
          p += 17 + (1...16).reduce(0) { $0 + Int(b[p + $1]) }
        }
      } else if marker == 0xDA, at + 5 <= b.count {
        let components = Int(b[at + 4]), spectral = at + 5 + 2 * components
        guard spectral + 2 <= b.count else { return nil }
        for c in 0..<components {
          let tables = Int(b[at + 6 + 2 * c])
          if b[spectral] == 0 && !defined.contains(tables >> 4 & 3) {
            return "JPEG scan uses DC Huffman table \(tables >> 4), which the file does not define"
          }
          if b[spectral + 1] > 0 && !defined.contains(4 | tables & 3) {
            return "JPEG scan uses AC Huffman table \(tables & 15), which the file does not define"
          }
        }
      }
      at += 2 + length
    }
    return nil
  }

  static func le(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ count: Int) -> Int {
    var v = 0
    for i in (0..<count).reversed() { v = v << 8 | Int(b[at + i]) }
    return v
  }

  static func bmp(_ b: UnsafeBufferPointer<UInt8>, width: Int, height: Int) -> String? {
    guard b.count >= 34 else { return "BMP header cut short" }
    let offset = le(b, 10, 4), bitsPerPixel = le(b, 28, 2), compression = le(b, 30, 4)
    guard compression == 0 || compression == 3, bitsPerPixel > 0 else { return nil }
    let row = (bitsPerPixel * width + 31) / 32 * 4
    let needed = offset + row * height
    return b.count < needed ? "BMP holds \(b.count) bytes, its header promises \(needed)" : nil
  }

  static func pnm(_ b: UnsafeBufferPointer<UInt8>, width: Int, height: Int) -> String? {
    // Header: magic, then width, height, maxval as decimal fields separated by whitespace
    // and # comments, then one whitespace byte.
    var i = 2, fields: [Int] = []
    while fields.count < 3 && i < b.count {
      let c = b[i]
      if c == UInt8(ascii: "#") {
        while i < b.count && b[i] != 0x0A { i += 1 }
      } else if c >= 0x30 && c <= 0x39 {
        var v = 0
        while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 {
          v = min(v * 10 + Int(b[i] - 0x30), 1 << 40)
          i += 1
        }
        fields.append(v)
        continue
      }
      i += 1
    }
    guard fields.count == 3 else { return "PNM header cut short" }
    let channels = b[1] == 0x35 ? 1 : 3
    let needed = i + 1 + width * height * channels * (fields[2] > 255 ? 2 : 1)
    return b.count < needed
      ? "\(channels == 1 ? "PGM" : "PPM") holds \(b.count) bytes, its header promises \(needed)" : nil
  }
}
