import CZlib
import Foundation

/// Malformed data and model files made at test time, for the tests that prove a bad file
/// costs little and ends in one error line.
public enum HostileFiles {
  /// A gzip file whose stream inflates to `prefix` followed by `zeroMiB` MiB of zeros,
  /// about 1 KB per MiB. It is built from one compressed MiB repeated (each piece ends in a
  /// full flush, so it stands alone), so a 3 GiB bomb takes milliseconds to make.
  /// `finished: false` leaves out the last block and the trailer: a reader that inflates
  /// the whole stream then reports it truncated, one that stops early never sees that.
  public static func gzipBomb(prefix: [UInt8], zeroMiB: Int, finished: Bool = true) -> Data {
    var stream = z_stream()
    // -15: raw deflate; the gzip wrapper is written by hand around it.
    precondition(
      deflateInit2_(
        &stream, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
        Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { deflateEnd(&stream) }
    func deflatePiece(_ input: [UInt8], _ flush: Int32) -> [UInt8] {
      var input = input
      var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
      let produced = input.withUnsafeMutableBufferPointer { inBuf in
        out.withUnsafeMutableBufferPointer { outBuf in
          stream.next_in = inBuf.baseAddress
          stream.avail_in = uInt(inBuf.count)
          stream.next_out = outBuf.baseAddress
          stream.avail_out = uInt(outBuf.count)
          precondition(deflate(&stream, flush) != Z_STREAM_ERROR)
          precondition(stream.avail_in == 0)
          return outBuf.count - Int(stream.avail_out)
        }
      }
      return Array(out[0..<produced])
    }
    let zeros = [UInt8](repeating: 0, count: 1 << 20)
    var data = Data([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3])
    data.append(contentsOf: deflatePiece(prefix, Z_FULL_FLUSH))
    let piece = deflatePiece(zeros, Z_FULL_FLUSH)
    for _ in 0..<zeroMiB { data.append(contentsOf: piece) }
    guard finished else { return data }
    data.append(contentsOf: deflatePiece([], Z_FINISH))
    // Trailer: CRC-32 and length (mod 2^32) of the whole inflated stream.
    let zeroCRC = zeros.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
    var crc = prefix.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
    for _ in 0..<zeroMiB { crc = crc32_combine(crc, zeroCRC, off_t(zeros.count)) }
    let length = UInt32(truncatingIfNeeded: prefix.count + zeroMiB << 20)
    for word in [UInt32(crc), length] { withUnsafeBytes(of: word.littleEndian) { data.append(contentsOf: $0) } }
    return data
  }

  /// An IDX header: magic for unsigned bytes, then the sizes (UInt32, big-endian).
  public static func idxHeader(_ dimensions: [UInt32]) -> [UInt8] {
    var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
    for d in dimensions { withUnsafeBytes(of: d.bigEndian) { out += $0 } }
    return out
  }

  /// A safetensors file around a raw JSON header text and `body` bytes.
  public static func safetensors(header json: String, body: Int = 0) -> Data {
    var d = Data()
    withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { d.append(contentsOf: $0) }
    d.append(contentsOf: Array(json.utf8))
    d.append(Data(count: body))
    return d
  }
}
