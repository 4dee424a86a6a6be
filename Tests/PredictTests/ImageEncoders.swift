import CStb
import Foundation

/// Writes image files for the decoding tests: PNG (8/16-bit, gray, gray+alpha, RGB, RGBA;
/// stored deflate blocks, so no zlib needed), PGM/PPM (8/16-bit), GIF (LZW, one or more
/// frames), and through stb_image_write (linked from Debian's libstb.a): BMP and JPEG.
/// Samples are interleaved, row-major, `channels` per pixel, each 0...maxval.
enum ImageEncoders {
  // MARK: - PNG

  static func png(width: Int, height: Int, channels: Int, depth: Int, samples: [Int]) -> Data {
    precondition(samples.count == width * height * channels && (depth == 8 || depth == 16))
    let colourType: UInt8 = [1: 0, 2: 4, 3: 2, 4: 6][channels]!
    var raw: [UInt8] = []
    for y in 0..<height {
      raw.append(0)
      for s in samples[(y * width * channels)..<((y + 1) * width * channels)] {
        if depth == 16 { raw += [UInt8(s >> 8), UInt8(s & 0xFF)] } else { raw.append(UInt8(s)) }
      }
    }
    var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    chunk("IHDR", be32(width) + be32(height) + [UInt8(depth), colourType, 0, 0, 0], into: &png)
    chunk("IDAT", zlibStored(raw), into: &png)
    chunk("IEND", [], into: &png)
    return png
  }

  static func be32(_ v: Int) -> [UInt8] {
    [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
  }

  static func chunk(_ type: String, _ body: [UInt8], into png: inout Data) {
    let typed = Array(type.utf8) + body
    png += be32(body.count) + typed + be32(Int(crc32(typed)))
  }

  static let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }

  /// A zlib stream of uncompressed deflate blocks.
  static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var i = 0
    repeat {
      let n = min(65535, data.count - i)
      let last: UInt8 = i + n >= data.count ? 1 : 0
      out += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
      out += data[i..<(i + n)]
      i += n
    } while i < data.count
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in data {
      a = (a + UInt32(byte)) % 65521
      b = (b + a) % 65521
    }
    return out + be32(Int(b << 16 | a))
  }

  // MARK: - PNM

  /// P5 (channels 1) or P6 (channels 3), maxval 255 or 65535 (big-endian samples).
  static func pnm(width: Int, height: Int, channels: Int, maxval: Int, samples: [Int]) -> Data {
    var data = Data("\(channels == 1 ? "P5" : "P6")\n# digits test\n\(width) \(height)\n\(maxval)\n".utf8)
    for s in samples {
      if maxval > 255 { data += [UInt8(s >> 8), UInt8(s & 0xFF)] } else { data.append(UInt8(s)) }
    }
    return data
  }

  // MARK: - GIF

  /// A GIF with a 256-level gray palette; each frame is `width * height` gray levels.
  static func gif(width: Int, height: Int, frames: [[UInt8]]) -> Data {
    var d = Data("GIF89a".utf8)
    d += le16(width) + le16(height) + [0xF7, 0, 0]  // global colour table, 256 entries
    for i in 0..<256 { d += [UInt8(i), UInt8(i), UInt8(i)] }
    for frame in frames {
      d += [0x21, 0xF9, 4, 0, 10, 0, 0, 0]  // graphic control: 0.1 s, no transparency
      d += [0x2C] + le16(0) + le16(0) + le16(width) + le16(height) + [0]
      d.append(8)  // LZW minimum code size
      let codes = lzwLiterals(frame)
      var i = 0
      while i < codes.count {
        let n = min(255, codes.count - i)
        d.append(UInt8(n))
        d += codes[i..<(i + n)]
        i += n
      }
      d.append(0)
    }
    d.append(0x3B)
    return d
  }

  static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }

  /// Every pixel as a literal 9-bit code, with a clear code every 200 so the code width
  /// never grows (valid LZW, just not compressed).
  static func lzwLiterals(_ pixels: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var acc: UInt32 = 0, bits = 0
    func emit(_ code: UInt32) {
      acc |= code << UInt32(bits)
      bits += 9
      while bits >= 8 {
        out.append(UInt8(acc & 0xFF))
        acc >>= 8
        bits -= 8
      }
    }
    for (i, p) in pixels.enumerated() {
      if i % 200 == 0 { emit(256) }
      emit(UInt32(p))
    }
    emit(257)
    if bits > 0 { out.append(UInt8(acc & 0xFF)) }
    return out
  }

  // MARK: - stb_image_write

  final class Sink { var data = Data() }

  static func collect(_ body: (UnsafeMutableRawPointer) -> Int32) -> Data {
    let sink = Sink()
    let context = Unmanaged.passRetained(sink).toOpaque()
    defer { Unmanaged<Sink>.fromOpaque(context).release() }
    let ok = body(context)
    precondition(ok != 0, "stb_image_write failed")
    return sink.data
  }

  static let write: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32) -> Void = {
    context, bytes, size in
    let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
    sink.data.append(bytes!.assumingMemoryBound(to: UInt8.self), count: Int(size))
  }

  /// 8-bit samples, 1-4 channels.
  static func bmp(width: Int, height: Int, channels: Int, samples: [UInt8]) -> Data {
    collect { context in stbi_write_bmp_to_func(write, context, Int32(width), Int32(height), Int32(channels), samples) }
  }

  static func jpeg(width: Int, height: Int, channels: Int, samples: [UInt8], quality: Int) -> Data {
    collect { context in
      stbi_write_jpg_to_func(write, context, Int32(width), Int32(height), Int32(channels), samples, Int32(quality))
    }
  }
}
