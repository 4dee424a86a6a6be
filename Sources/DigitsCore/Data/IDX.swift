import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The IDX format of the MNIST files: big-endian magic 0x0000TTDD (T = 0x08 unsigned byte
/// data, D = number of dimensions), D big-endian UInt32 sizes, then the bytes.
///
/// Reading costs at most the payload the header declares, and never more than
/// `maxPayloadBytes`: the header is read (or inflated) first, its sizes are multiplied with
/// overflow checks and compared with the limit, a raw file's size is checked before any
/// data is read, and a gzip file is inflated straight into the one payload array and
/// stopped one byte past what the header declares (or, when its trailer states just that
/// size, inflated whole by libdeflate).
public enum IDX {
  public struct Array {
    public let dimensions: [Int]
    public let bytes: [UInt8]
  }

  /// Largest payload accepted: a little above the largest MNIST-format file
  /// (60,000 x 28 x 28 = 47,040,000 bytes), so a header cannot make us allocate gigabytes.
  public static let maxPayloadBytes = 64 << 20
  /// Largest whole file: the payload limit plus the largest header (4 dimensions).
  public static let maxFileBytes = maxPayloadBytes + 4 + 4 * 4

  /// Reads an IDX file, raw or gzip-compressed, checking magic, sizes and length.
  public static func read(path: String, maxPayloadBytes: Int = maxPayloadBytes) throws -> Array {
    let file = try InputFile(path: path)
    if let whole = try inflatedWhole(file, path: path, maxPayloadBytes: maxPayloadBytes) { return whole }
    let (gzipped, read) = try file.contents()
    return try parse(path: path, maxPayloadBytes: maxPayloadBytes, read: read, fileSize: gzipped ? nil : file.size)
  }

  /// A gzip file inflated whole by libdeflate (8 ms for the MNIST test images, where zlib's
  /// stream takes 25), when its trailer states the very size its IDX header declares: the
  /// header is inflated first through zlib and checked as always, so a file costs no more
  /// than its header declares either way. nil for every other file, which is read as a stream.
  static func inflatedWhole(_ file: InputFile, path: String, maxPayloadBytes: Int) throws -> Array? {
    let maxFile = maxPayloadBytes + 4 + 4 * 4
    guard file.size <= maxFile, try file.isGzip() else { return nil }
    let compressed = try file.readAll(limit: maxFile)
    let stream = try GzipReader(path: path, inputSize: 256, source: compressed.reader())
    let dims = try header(path: path, read: stream.read(into:))
    let headerBytes = 4 + 4 * dims.count
    guard
      var bytes = try Gzip.inflateWhole(
        compressed, size: headerBytes + payloadBytes(dims, limit: maxPayloadBytes, path: path))
    else { return nil }
    // The same header again (one stream, inflated twice): moved out in place, no copy.
    bytes.removeFirst(headerBytes)
    return Array(dimensions: dims, bytes: bytes)
  }

  /// Parses an IDX file held in memory (not gzip-compressed).
  public static func parse(_ data: Data, path: String, maxPayloadBytes: Int = maxPayloadBytes) throws -> Array {
    try parse(path: path, maxPayloadBytes: maxPayloadBytes, read: data.reader(), fileSize: data.count)
  }

  /// The header, then exactly the payload it declares. `read` fills its buffer and returns
  /// the count, fewer only at the end; `fileSize` (when known) is checked before reading data.
  static func parse(
    path: String, maxPayloadBytes: Int, read: (UnsafeMutableRawBufferPointer) throws -> Int,
    fileSize: Int?
  ) throws -> Array {
    let dims = try header(path: path, read: read)
    let rank = dims.count
    let shape = dims.map(String.init).joined(separator: "x")
    let expected = try payloadBytes(dims, limit: maxPayloadBytes, path: path)
    if let fileSize {
      let actual = fileSize - (4 + 4 * rank)
      guard actual == expected else {
        let what = actual < expected ? "truncated" : "has trailing bytes"
        throw DigitsError.file(path, "\(what): dimensions \(shape) need \(expected) data bytes, found \(actual)")
      }
    }
    var found = 0
    let bytes = try [UInt8](unsafeUninitializedCapacity: expected) { buffer, count in
      // NOTE: UInt8 needs no initialising; pages a short read never reached stay unmapped.
      found = try read(UnsafeMutableRawBufferPointer(buffer))
      count = expected
    }
    guard found == expected else {
      throw DigitsError.file(path, "truncated: dimensions \(shape) need \(expected) data bytes, found \(found)")
    }
    var extra: UInt8 = 0
    guard try withUnsafeMutableBytes(of: &extra, { try read($0) }) == 0 else {
      throw DigitsError.file(path, "has trailing bytes: dimensions \(shape) need \(expected) data bytes, found more")
    }
    return Array(dimensions: dims, bytes: bytes)
  }

  /// The dimensions from an IDX header: magic, then one big-endian UInt32 per dimension.
  static func header(path: String, read: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> [Int] {
    var head = [UInt8](repeating: 0, count: 4)
    let got = try head.withUnsafeMutableBytes { try read($0) }
    guard got == 4 else { throw DigitsError.file(path, "too short for an IDX file (\(got) bytes)") }
    guard head[0] == 0, head[1] == 0 else {
      throw DigitsError.file(path, "not an IDX file (bad magic \(hex(head[0..<4])))")
    }
    guard head[2] == 0x08 else {
      throw DigitsError.file(path, "IDX element type 0x\(String(head[2], radix: 16)) is not unsigned bytes (0x08)")
    }
    let rank = Int(head[3])
    guard (1...4).contains(rank) else { throw DigitsError.file(path, "IDX rank \(rank) is not 1 to 4") }
    var sizes = [UInt8](repeating: 0, count: 4 * rank)
    guard try sizes.withUnsafeMutableBytes({ try read($0) }) == sizes.count else {
      throw DigitsError.file(path, "truncated IDX header")
    }
    return (0..<rank).map { d in sizes[4 * d..<4 * d + 4].reduce(0) { $0 << 8 | Int($1) } }
  }

  /// The product of the dimensions, checked for overflow and against `limit`.
  static func payloadBytes(_ dims: [Int], limit: Int, path: String) throws -> Int {
    var product = 1
    for d in dims {
      let (p, overflow) = product.multipliedReportingOverflow(by: d)
      guard !overflow, p <= limit else {
        throw DigitsError.file(
          path,
          "dimensions \(dims.map(String.init).joined(separator: "x")) declare more than the \(limit)-byte limit of an IDX file"
        )
      }
      product = p
    }
    return product
  }

  /// Encodes bytes as an IDX file (used by tests and by tools that write data sets).
  public static func encode(dimensions: [Int], bytes: [UInt8]) -> Data {
    var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
    for d in dimensions {
      out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)]
    }
    return Data(out + bytes)
  }

  static func hex(_ bytes: ArraySlice<UInt8>) -> String {
    "0x" + bytes.map { String(format: "%02x", $0) }.joined()
  }
}
