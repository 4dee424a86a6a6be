import CDeflate
import CZlib
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// gzip decompression through zlib, for the .gz copies of the IDX files. Every entry point
/// takes a bound on the output, so a small file that inflates to gigabytes (a "gzip bomb")
/// costs at most that bound.
public enum Gzip {
  /// True when the data starts with the gzip magic bytes 1f 8b.
  public static func isGzip(_ data: Data) -> Bool {
    data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
  }

  /// Inflates a whole gzip stream held in memory, refusing to produce more than `limit`
  /// bytes. `path` only names the file in errors.
  public static func decompress(_ data: Data, path: String, limit: Int) throws -> Data {
    try GzipReader.inflateAll(path: path, limit: limit, input: data)
  }

  /// A whole gzip file inflated by libdeflate in one call, about three times zlib's speed:
  /// exactly one gzip member whose trailer states `size` inflated bytes (ISIZE, modulo 2^32),
  /// which inflates to that and checks out (CRC-32). nil otherwise: a caller that knows the
  /// size (from a header it inflated and checked) reads any other file as a stream, which
  /// gives that file's own error. libdeflate writes no byte past `size`.
  package static func inflateWhole(_ compressed: Data, size: Int) -> [UInt8]? {
    guard compressed.count >= 18, isGzip(compressed), size >= 0 else { return nil }
    let stated = compressed.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
    guard stated == size & 0xFFFF_FFFF, let decompressor = libdeflate_alloc_decompressor() else { return nil }
    defer { libdeflate_free_decompressor(decompressor) }
    var consumed = 0
    var produced = 0
    var result = LIBDEFLATE_BAD_DATA
    // NOTE: UInt8 needs no initialising; every byte is written when the result is used.
    let output = [UInt8](unsafeUninitializedCapacity: size) { out, count in
      result = compressed.withUnsafeBytes { input in
        libdeflate_gzip_decompress_ex(
          decompressor, input.baseAddress, input.count, out.baseAddress, out.count, &consumed, &produced)
      }
      count = size
    }
    // Bytes after the member (another member, or junk) are outside the stated size.
    guard result == LIBDEFLATE_SUCCESS, consumed == compressed.count, produced == size else { return nil }
    return output
  }
}

/// Inflates one gzip stream a piece at a time from a source of compressed bytes, so memory
/// is what the caller asks for plus one input buffer. The end of the first gzip member is
/// the end of the stream.
public final class GzipReader {
  /// Fills its buffer with compressed bytes; 0 means the end of the input.
  public typealias Source = (UnsafeMutableRawBufferPointer) throws -> Int

  let path: String
  let source: Source
  let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
  let input: UnsafeMutableRawBufferPointer
  var inputEnded = false
  /// True once zlib reported the end of the gzip stream.
  public private(set) var ended = false

  /// `path` only names the file in errors; `inputSize` is the read size from `source`.
  public init(path: String, inputSize: Int = 1 << 16, source: @escaping Source) throws {
    self.path = path
    self.source = source
    input = .allocate(byteCount: inputSize, alignment: 16)
    stream.initialize(to: z_stream())
    // 15 + 16: zlib window of 32 KiB, gzip wrapper only.
    guard inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      input.deallocate()
      stream.deallocate()
      throw DigitsError.file(path, "zlib could not start")
    }
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
    input.deallocate()
  }

  /// Fills `buffer` with inflated bytes and returns how many; fewer than `buffer.count`
  /// only at the end of the stream. Throws on corrupt or truncated data.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    var produced = 0
    while produced < buffer.count && !ended {
      if stream.pointee.avail_in == 0 && !inputEnded {
        let n = try source(input)
        if n == 0 {
          inputEnded = true
        } else {
          stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
          stream.pointee.avail_in = uInt(n)
        }
      }
      let room = min(buffer.count - produced, Int(Int32.max))
      stream.pointee.next_out = (buffer.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_out = uInt(room)
      let status = inflate(stream, Z_NO_FLUSH)
      produced += room - Int(stream.pointee.avail_out)
      switch status {
      case Z_STREAM_END: ended = true
      case Z_OK: continue
      case Z_BUF_ERROR:
        // No progress was possible: fine while more input may come, the end otherwise.
        if inputEnded && stream.pointee.avail_in == 0 { throw DigitsError.file(path, "gzip data is truncated") }
      default: throw DigitsError.file(path, "gzip data is corrupt (zlib status \(status))")
      }
    }
    return produced
  }

  /// Inflates `data` whole, refusing more than `limit` output bytes.
  static func inflateAll(path: String, limit: Int, input data: Data) throws -> Data {
    let reader = try GzipReader(path: path, source: data.reader())
    var output = Data()
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while !reader.ended {
      let n = try chunk.withUnsafeMutableBytes { try reader.read(into: $0) }
      guard output.count + n <= limit else {
        throw DigitsError.file(path, "gzip data inflates to more than \(limit) bytes")
      }
      output.append(contentsOf: chunk[0..<n])
    }
    return output
  }
}

extension Data {
  /// The bytes from the start as a stream of fills, the form `GzipReader` and the IDX parser
  /// read: each call copies the next bytes into its buffer and returns how many, 0 at the end.
  package func reader() -> (UnsafeMutableRawBufferPointer) -> Int {
    var offset = 0
    return { buffer in
      let n = Swift.min(buffer.count, count - offset)
      withUnsafeBytes { all in buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[offset..<(offset + n)])) }
      offset += n
      return n
    }
  }
}
