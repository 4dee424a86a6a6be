import Foundation

/// The IDX format of the MNIST files: big-endian magic 0x0000TTDD (T = 0x08 unsigned byte
/// data, D = number of dimensions), D big-endian UInt32 sizes, then the bytes.
public enum IDX {
  public struct Array {
    public let dimensions: [Int]
    public let bytes: [UInt8]
  }

  /// Reads an IDX file, raw or gzip-compressed, checking magic, sizes and length.
  public static func read(path: String) throws -> Array {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw DigitsError.file(path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
    }
    return try parse(Gzip.isGzip(data) ? Gzip.decompress(data, path: path) : data, path: path)
  }

  public static func parse(_ data: Data, path: String) throws -> Array {
    let b = [UInt8](data)
    guard b.count >= 4 else { throw DigitsError.file(path, "too short for an IDX file (\(b.count) bytes)") }
    guard b[0] == 0, b[1] == 0 else {
      throw DigitsError.file(path, "not an IDX file (bad magic \(hex(b[0..<4])))")
    }
    guard b[2] == 0x08 else {
      throw DigitsError.file(path, "IDX element type 0x\(String(b[2], radix: 16)) is not unsigned bytes (0x08)")
    }
    let rank = Int(b[3])
    guard (1...4).contains(rank) else { throw DigitsError.file(path, "IDX rank \(rank) is not 1 to 4") }
    let headerSize = 4 + 4 * rank
    guard b.count >= headerSize else { throw DigitsError.file(path, "truncated IDX header") }
    var dims: [Int] = []
    for d in 0..<rank {
      let o = 4 + 4 * d
      dims.append(Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]))
    }
    let expected = dims.reduce(1, *)
    let actual = b.count - headerSize
    guard actual == expected else {
      let what = actual < expected ? "truncated" : "has trailing bytes"
      throw DigitsError.file(path, "\(what): dimensions \(dims.map(String.init).joined(separator: "x")) need \(expected) data bytes, found \(actual)")
    }
    return Array(dimensions: dims, bytes: Swift.Array(b[headerSize...]))
  }

  /// Encodes bytes as an IDX file (used by tests and by tools that write data sets).
  public static func encode(dimensions: [Int], bytes: [UInt8]) -> Data {
    var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
    for d in dimensions { out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return Data(out + bytes)
  }

  static func hex(_ bytes: ArraySlice<UInt8>) -> String {
    "0x" + bytes.map { String(format: "%02x", $0) }.joined()
  }
}
