import CZlib
import Foundation

/// gzip decompression through zlib, for the .gz copies of the IDX files.
public enum Gzip {
  /// True when the data starts with the gzip magic bytes 1f 8b.
  public static func isGzip(_ data: Data) -> Bool {
    data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
  }

  /// Inflates a whole gzip stream. `path` only names the file in errors.
  public static func decompress(_ data: Data, path: String) throws -> Data {
    var stream = z_stream()
    // 15 + 16: zlib window of 32 KiB, gzip wrapper only.
    guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw DigitsError.file(path, "zlib could not start")
    }
    defer { inflateEnd(&stream) }
    var output = Data()
    let chunk = 1 << 20
    var buffer = [UInt8](repeating: 0, count: chunk)
    var status: Int32 = Z_OK
    try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
      stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
      stream.avail_in = uInt(input.count)
      repeat {
        try buffer.withUnsafeMutableBufferPointer { out in
          stream.next_out = out.baseAddress
          stream.avail_out = uInt(chunk)
          status = inflate(&stream, Z_NO_FLUSH)
          guard status == Z_OK || status == Z_STREAM_END else {
            if status == Z_BUF_ERROR {
              throw DigitsError.file(path, "gzip data is truncated")
            }
            throw DigitsError.file(path, "gzip data is corrupt (zlib status \(status))")
          }
          output.append(out.baseAddress!, count: chunk - Int(stream.avail_out))
        }
      } while status != Z_STREAM_END && (stream.avail_in > 0 || stream.avail_out == 0)
    }
    guard status == Z_STREAM_END else { throw DigitsError.file(path, "gzip data is truncated") }
    return output
  }
}
