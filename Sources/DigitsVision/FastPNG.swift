import CZlib
import DigitsCore

/// The common PNG (8-bit gray, gray+alpha, RGB or RGBA, not interlaced: what browsers'
/// canvas exports and most programs write) decoded with zlib, which inflates about twice
/// as fast as stb_image; stb_image's PNG decoding was the largest single cost of a
/// `digits serve` prediction. Anything else (palettes, 16-bit, interlaced, damaged files)
/// goes to stb_image, which decodes it or says what is wrong.
enum FastPNG {
  static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

  /// The file's samples (width * height * channels, rows top to bottom), or nil when the
  /// file is not such a PNG or anything in it looks wrong.
  static func decode(_ file: UnsafeBufferPointer<UInt8>) -> (samples: [UInt8], width: Int, height: Int, channels: Int)?
  {
    guard file.count > 8 + 25, file.starts(with: signature) else { return nil }
    func be32(_ at: Int) -> Int {
      Int(file[at]) << 24 | Int(file[at + 1]) << 16 | Int(file[at + 2]) << 8 | Int(file[at + 3])
    }
    // IHDR: width, height, bit depth 8, colour type, compression 0, filter 0, no interlace.
    guard be32(8) == 13, file[12] == 73, file[13] == 72, file[14] == 68, file[15] == 82 else { return nil }
    let width = be32(16), height = be32(20)
    guard width > 0, height > 0, file[24] == 8, file[26] == 0, file[27] == 0, file[28] == 0 else { return nil }
    let channels: Int
    switch file[25] {
    case 0: channels = 1
    case 2: channels = 3
    case 4: channels = 2
    case 6: channels = 4
    default: return nil
    }
    // The IDAT chunks, in order, up to IEND.
    var idat: [Range<Int>] = []
    var at = 8 + 25
    var ended = false
    while at + 12 <= file.count {
      let length = be32(at), type = be32(at + 4)
      guard length >= 0, at + 12 + length <= file.count else { return nil }
      if type == 0x4944_4154 { idat.append((at + 8)..<(at + 8 + length)) }  // "IDAT"
      if type == 0x4945_4E44 {  // "IEND"
        ended = true
        break
      }
      at += 12 + length
    }
    guard ended, !idat.isEmpty else { return nil }

    let stride = width * channels
    let (rawCount, overflow) = height.multipliedReportingOverflow(by: stride + 1)
    guard !overflow else { return nil }
    var raw = [UInt8](repeating: 0, count: rawCount)
    guard inflate(file, idat, into: &raw) else { return nil }
    var samples = [UInt8](repeating: 0, count: height * stride)
    let unfiltered = raw.withUnsafeBufferPointer { r in
      samples.withUnsafeMutableBufferPointer { s in unfilter(r, into: s, height: height, stride: stride, bpp: channels)
      }
    }
    return unfiltered ? (samples, width, height, channels) : nil
  }

  /// Inflates the concatenated IDAT data; true when it fills `out` exactly and ends there.
  /// The zlib header is read here and the stream inflated raw, so zlib skips the Adler-32
  /// check (a quarter of decoding time otherwise); stb_image does not check it either.
  static func inflate(_ file: UnsafeBufferPointer<UInt8>, _ chunks: [Range<Int>], into out: inout [UInt8]) -> Bool {
    guard let first = chunks.first, first.count >= 2 else { return false }
    let cmf = Int(file[first.lowerBound]), flags = Int(file[first.lowerBound + 1])
    // Deflate, window at most 32 KB, header checksum right, no preset dictionary.
    guard cmf & 0x0F == 8, cmf >> 4 <= 7, (cmf << 8 | flags) % 31 == 0, flags & 0x20 == 0 else { return false }
    var stream = z_stream()
    guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return false }
    defer { inflateEnd(&stream) }
    return out.withUnsafeMutableBufferPointer { o in
      stream.next_out = o.baseAddress
      stream.avail_out = UInt32(o.count)
      var status = Z_OK
      for (i, chunk) in chunks.enumerated() where status == Z_OK {
        let start = i == 0 ? chunk.lowerBound + 2 : chunk.lowerBound
        stream.next_in = UnsafeMutablePointer(mutating: file.baseAddress! + start)
        stream.avail_in = UInt32(chunk.upperBound - start)
        status = CZlib.inflate(&stream, i == chunks.count - 1 ? Z_FINISH : Z_NO_FLUSH)
        if status == Z_BUF_ERROR && stream.avail_in == 0 && i < chunks.count - 1 { status = Z_OK }
      }
      return status == Z_STREAM_END && stream.avail_out == 0
    }
  }

  /// PNG's Paeth predictor of a byte from its left, upper and upper-left neighbours, written
  /// as selects (no branches: the choice is random on photographs and scans).
  @inline(__always)
  static func paeth(_ left: UInt8, _ up: UInt8, _ upLeft: UInt8) -> UInt8 {
    let a = Int16(left), b = Int16(up), c = Int16(upLeft)
    let pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c)
    let upOrCorner = pb <= pc ? up : upLeft
    return pa <= pb && pa <= pc ? left : upOrCorner
  }

  /// Paeth on RGB or RGBA rows, all channels of a pixel at once (as SIMD lanes), the pixel
  /// to the left and above-left kept in registers. Reads and writes 4 bytes a pixel, so it
  /// stops where that would pass the row's end; returns the first byte it left undone.
  static func paethPixels(
    _ src: UnsafePointer<UInt8>, row: UnsafeMutablePointer<UInt8>, up: UnsafePointer<UInt8>, stride: Int, bpp: Int
  ) -> Int {
    func load(_ p: UnsafePointer<UInt8>) -> SIMD4<Int16> {
      SIMD4<Int16>(truncatingIfNeeded: UnsafeRawPointer(p).loadUnaligned(as: SIMD4<UInt8>.self))
    }
    func magnitude(_ v: SIMD4<Int16>) -> SIMD4<Int16> { v.replacing(with: 0 &- v, where: v .< 0) }
    guard stride >= bpp + 4 else { return bpp }
    var a = load(row), c = load(up)
    var i = bpp
    while i + 4 <= stride {
      let b = load(up + i)
      let pa = magnitude(b &- c), pb = magnitude(a &- c), pc = magnitude(a &+ b &- c &- c)
      var predicted = c
      predicted.replace(with: b, where: pb .<= pc)
      predicted.replace(with: a, where: (pa .<= pb) .& (pa .<= pc))
      a = (load(src + i) &+ predicted) & 0xFF
      UnsafeMutableRawPointer(row + i).storeBytes(of: SIMD4<UInt8>(truncatingIfNeeded: a), as: SIMD4<UInt8>.self)
      c = b
      i += bpp
    }
    return i
  }

  /// Undoes PNG's per-row filters (none, sub, up, average, Paeth; PNG spec 9.2). The row
  /// above the first is zeros.
  static func unfilter(
    _ raw: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>, height: Int,
    stride: Int, bpp: Int
  ) -> Bool {
    guard let o = out.baseAddress, let r = raw.baseAddress else { return false }
    let zeros = [UInt8](repeating: 0, count: stride)
    return zeros.withUnsafeBufferPointer { zero in
      for y in 0..<height {
        let src = r + y * (stride + 1) + 1
        let row = o + y * stride
        let up = y > 0 ? UnsafePointer(o + (y - 1) * stride) : zero.baseAddress!
        let first = min(bpp, stride)
        switch r[y * (stride + 1)] {
        case 0:
          row.update(from: src, count: stride)
        case 1:
          for i in 0..<first { row[i] = src[i] }
          for i in first..<stride { row[i] = src[i] &+ row[i - bpp] }
        case 2:  // the usual filter of a drawing: 16 bytes at a time
          var i = 0
          while i + 16 <= stride {
            let sum =
              UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<UInt8>.self)
              &+ UnsafeRawPointer(up + i).loadUnaligned(as: SIMD16<UInt8>.self)
            UnsafeMutableRawPointer(row + i).storeBytes(of: sum, as: SIMD16<UInt8>.self)
            i += 16
          }
          while i < stride {
            row[i] = src[i] &+ up[i]
            i += 1
          }
        case 3:
          for i in 0..<first { row[i] = src[i] &+ up[i] >> 1 }
          for i in first..<stride { row[i] = src[i] &+ UInt8((UInt16(row[i - bpp]) + UInt16(up[i])) >> 1) }
        case 4 where bpp == 1 && stride > 0:
          // Gray: each byte waits on the one before, so the left and upper-left neighbours
          // stay in registers instead of being read back from the row just written.
          var a = src[0] &+ up[0], c = up[0]
          row[0] = a
          for i in 1..<stride {
            let b = up[i]
            a = src[i] &+ paeth(a, b, c)
            row[i] = a
            c = b
          }
        case 4:
          for i in 0..<first { row[i] = src[i] &+ up[i] }  // Paeth with nothing to the left picks up
          var i = first
          if bpp >= 3 { i = paethPixels(src, row: row, up: up, stride: stride, bpp: bpp) }
          while i < stride {
            row[i] = src[i] &+ paeth(row[i - bpp], up[i], up[i - bpp])
            i += 1
          }
        default:
          return false
        }
      }
      return true
    }
  }
}
