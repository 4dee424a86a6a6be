import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON
/// header {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then the
/// raw little-endian tensor bytes. Only F32 tensors are written or accepted.
public enum Safetensors {
  public struct NamedTensor: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]
    public init(name: String, shape: [Int], values: [Float]) {
      self.name = name
      self.shape = shape
      self.values = values
    }
  }

  public struct File: Equatable, Sendable {
    public var tensors: [NamedTensor]
    public var metadata: [String: String]
    public init(tensors: [NamedTensor], metadata: [String: String]) {
      self.tensors = tensors
      self.metadata = metadata
    }
    public subscript(name: String) -> NamedTensor? { tensors.first { $0.name == name } }
  }

  /// What a reader accepts, checked before anything is allocated for the data.
  public struct Limits: Sendable {
    /// Whole file, checked against its size before it is read.
    public var fileBytes: Int
    /// JSON header length, as other readers do (100 MB), so a corrupt length can't OOM us.
    public var headerBytes: Int
    /// JSON values (numbers, strings, arrays, objects) in the header, counted before it
    /// is parsed: a parsed value costs tens of bytes, so this bounds the parser's memory.
    public var headerValues: Int
    /// Tensors named in the header.
    public var entries: Int
    /// Dimensions of one tensor.
    public var rank: Int

    public init(fileBytes: Int, headerBytes: Int, headerValues: Int, entries: Int, rank: Int = 8) {
      self.fileBytes = fileBytes
      self.headerBytes = headerBytes
      self.headerValues = headerValues
      self.entries = entries
      self.rank = rank
    }

    /// Any safetensors file this package might meet.
    public static let general = Limits(
      fileBytes: 1 << 30, headerBytes: 100_000_000, headerValues: 1 << 20, entries: 1 << 16)
    /// A digits model or checkpoint: 225,034 parameters (three times that with the Adam
    /// state: 2,700,408 bytes) and 24 tensors; the rest of the 3 MiB is room for the header
    /// and a long training history (about 1,500 epochs; `TrainingLimits.epochs` is 1,000).
    public static let digitsModel = Limits(fileBytes: 3 << 20, headerBytes: 1 << 20, headerValues: 4096, entries: 64)
  }

  public static func encode(_ file: File) throws -> Data {
    var entries: [String: HeaderEntry] = [:]
    var offset = 0
    for t in file.tensors {
      precondition(t.shape.reduce(1, *) == t.values.count, "\(t.name): shape does not match values")
      let bytes = t.values.count * 4
      entries[t.name] = HeaderEntry(dtype: "F32", shape: t.shape, dataOffsets: [offset, offset + bytes])
      offset += bytes
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var json = try encoder.encode(Header(tensors: entries, metadata: file.metadata.isEmpty ? nil : file.metadata))
    // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
    while (8 + json.count) % 8 != 0 { json.append(0x20) }
    var out = Data(capacity: 8 + json.count + offset)
    var length = UInt64(json.count).littleEndian
    withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
    out.append(json)
    for t in file.tensors {
      t.values.withUnsafeBufferPointer { p in
        if Int(1).littleEndian == 1 {
          out.append(
            UnsafeBufferPointer(
              start: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: UInt8.self), count: p.count * 4))
        } else {
          for v in p {
            var b = v.bitPattern.littleEndian
            withUnsafeBytes(of: &b) { out.append(contentsOf: $0) }
          }
        }
      }
    }
    return out
  }

  public static func decode(_ data: Data, path: String, limits: Limits = .general) throws -> File {
    try decode(size: data.count, path: path, limits: limits) { offset, buffer in
      let n = max(0, min(buffer.count, data.count - offset))
      data.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)])) }
      return n
    }
  }

  /// Fills the buffer with the bytes at an offset; returns the count (fewer at the end).
  typealias ReadAt = (Int, UnsafeMutableRawBufferPointer) throws -> Int

  /// Checks the whole header (lengths, value and entry counts, every shape and offset)
  /// before it allocates any tensor, then reads each tensor straight into its array: a
  /// file costs its header plus its tensors, never a second copy of the file.
  static func decode(size: Int, path: String, limits: Limits, readAt: ReadAt) throws -> File {
    guard size >= 8 else { throw DigitsError.file(path, "too short for a safetensors file (\(size) bytes)") }
    var n: UInt64 = 0
    guard try withUnsafeMutableBytes(of: &n, { try readAt(0, $0) }) == 8 else {
      throw DigitsError.file(path, "cannot be read")
    }
    n = UInt64(littleEndian: n)
    guard n <= UInt64(limits.headerBytes) else {
      throw DigitsError.file(
        path, "not a safetensors file (header length \(n) is implausible; the limit is \(limits.headerBytes))")
    }
    let headerEnd = 8 + Int(n)
    guard size >= headerEnd else { throw DigitsError.file(path, "truncated safetensors header") }
    var headerText = Data(count: Int(n))
    guard try headerText.withUnsafeMutableBytes({ try readAt(8, $0) }) == Int(n) else {
      throw DigitsError.file(path, "truncated safetensors header")
    }
    let (entries, metadata) = try headerText.withUnsafeBytes {
      try parseHeader($0, body: size - headerEnd, path: path, limits: limits)
    }
    let tensors = try entries.map { e in
      let count = (e.end - e.begin) / 4
      var got = 0
      var values = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        got = try readAt(headerEnd + e.begin, UnsafeMutableRawBufferPointer(buffer))
        initialized = count
      }
      guard got == count * 4 else { throw DigitsError.file(path, "cannot be read") }
      if Int(1).littleEndian != 1 {
        for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
      }
      return NamedTensor(name: e.name, shape: e.shape, values: values)
    }
    return File(tensors: tensors, metadata: metadata)
  }

  /// Parses and checks the JSON header; `body` is the byte count after it.
  static func parseHeader(_ headerBytes: UnsafeRawBufferPointer, body: Int, path: String, limits: Limits) throws
    -> (entries: [(name: String, shape: [Int], begin: Int, end: Int)], metadata: [String: String])
  {
    // The parser recurses per level: a deep header could overflow the stack.
    guard JSONShape.depth(headerBytes) <= JSONShape.maxDepth else {
      throw DigitsError.file(path, "safetensors header is nested deeper than \(JSONShape.maxDepth) levels")
    }
    let values = JSONShape.valueCount(headerBytes)
    guard values <= limits.headerValues else {
      throw DigitsError.file(
        path, "safetensors header holds \(values) JSON values, more than the limit of \(limits.headerValues)")
    }
    let header: Header
    do {
      header = try JSONDecoder().decode(Header.self, from: Data(headerBytes))
    } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
      throw DigitsError.file(path, "safetensors header is not a JSON object")
    } catch let error as DigitsError {
      throw DigitsError.file(path, error.description)
    } catch {
      throw DigitsError.file(path, "safetensors header is not valid JSON")
    }
    let tensorCount = header.tensors.count
    guard tensorCount <= limits.entries else {
      throw DigitsError.file(
        path, "safetensors header has \(tensorCount) entries, more than the limit of \(limits.entries)")
    }
    guard tensorCount + (header.metadata == nil ? 0 : 1) == JSONShape.topLevelKeyCount(headerBytes) else {
      throw DigitsError.file(path, "safetensors header names a tensor twice")
    }
    let metadata = header.metadata ?? [:]
    var entries: [(name: String, shape: [Int], begin: Int, end: Int)] = []
    for (name, value) in header.tensors {
      guard let entry = value, entry.dataOffsets.count == 2 else {
        throw DigitsError.file(path, "tensor \(name) has a malformed header entry")
      }
      let (dtype, shape, offsets) = (entry.dtype, entry.shape, entry.dataOffsets)
      guard dtype == "F32" else { throw DigitsError.file(path, "tensor \(name) is \(dtype); only F32 is supported") }
      guard shape.count <= limits.rank else {
        throw DigitsError.file(path, "tensor \(name) has \(shape.count) dimensions, more than \(limits.rank)")
      }
      guard shape.allSatisfy({ $0 >= 0 }) else {
        throw DigitsError.file(path, "tensor \(name) has a negative dimension")
      }
      let byteCount = try tensorBytes(shape, name: name, body: body, path: path)
      let (begin, end) = (offsets[0], offsets[1])
      guard begin >= 0, end >= begin, end - begin == byteCount else {
        throw DigitsError.file(path, "tensor \(name): data_offsets \(begin)-\(end) do not hold shape \(shape) of F32")
      }
      entries.append((name, shape, begin, end))
    }
    // The spec's layout: tensors back to back from byte 0 to the end, no holes, no overlaps.
    entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
    var cursor = 0
    for e in entries {
      guard e.begin >= cursor else {
        throw DigitsError.file(path, "tensor \(e.name): data_offsets \(e.begin)-\(e.end) overlap another tensor")
      }
      guard e.begin == cursor else {
        throw DigitsError.file(
          path, "tensor \(e.name): data_offsets \(e.begin)-\(e.end) leave bytes \(cursor)-\(e.begin) unused")
      }
      guard e.end <= body else {
        throw DigitsError.file(path, "truncated: tensor \(e.name) ends at byte \(e.end) of \(body)")
      }
      cursor = e.end
    }
    guard cursor == body else { throw DigitsError.file(path, "has \(body - cursor) bytes after the last tensor") }
    return (entries, metadata)
  }

  /// Bytes of an F32 tensor of `shape`, with overflow checks; never more than the body.
  static func tensorBytes(_ shape: [Int], name: String, body: Int, path: String) throws -> Int {
    var bytes = 4
    for d in shape {
      let (p, overflow) = bytes.multipliedReportingOverflow(by: d)
      guard !overflow, p <= body else {
        throw DigitsError.file(path, "tensor \(name): shape \(shape) needs more bytes than the file's \(body)")
      }
      bytes = p
    }
    return bytes
  }

  /// Reads a file of at most `limits.fileBytes` (checked before reading), tensor by tensor.
  public static func read(path: String, limits: Limits = .general) throws -> File {
    let file = try InputFile(path: path)
    guard file.size <= limits.fileBytes else {
      throw DigitsError.file(
        path, "is \(file.size) bytes, more than the \(limits.fileBytes)-byte limit for this kind of file")
    }
    return try decode(size: file.size, path: path, limits: limits) { try file.read(at: $0, into: $1) }
  }

  public static func write(_ file: File, to path: String, mode: mode_t = 0o644) throws {
    try AtomicFile.write(try encode(file), to: path, mode: mode)
  }
}

extension Safetensors {
  /// One tensor's line of the header.
  struct HeaderEntry: Codable {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [Int]

    enum CodingKeys: String, CodingKey {
      case dtype, shape
      case dataOffsets = "data_offsets"
    }
  }

  /// The JSON header: tensor names are the keys, beside the optional "__metadata__" object.
  /// A malformed tensor entry decodes as nil, so the reader can name it in its error.
  struct Header: Codable {
    var tensors: [String: HeaderEntry?]
    var metadata: [String: String]?

    init(tensors: [String: HeaderEntry], metadata: [String: String]?) {
      self.tensors = tensors
      self.metadata = metadata
    }

    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Key.self)
      tensors = [:]
      for key in container.allKeys {
        if key.stringValue == Key.metadata.stringValue {
          guard let values = try? container.decode([String: String].self, forKey: key) else {
            throw DigitsError("__metadata__ must map strings to strings")
          }
          metadata = values
        } else {
          tensors[key.stringValue] = .some(try? container.decode(HeaderEntry.self, forKey: key))
        }
      }
    }

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Key.self)
      for (name, entry) in tensors { try container.encode(entry, forKey: Key(name)) }
      if let metadata { try container.encode(metadata, forKey: .metadata) }
    }

    struct Key: CodingKey {
      static let metadata = Key("__metadata__")
      let stringValue: String
      init(_ name: String) { stringValue = name }
      init?(stringValue: String) { self.stringValue = stringValue }
      var intValue: Int? { nil }
      init?(intValue: Int) { nil }
    }
  }
}

/// Counts in raw JSON text, before it is parsed, so a header's parse cost can be bounded
/// and duplicate keys seen (JSONSerialization keeps one of them silently).
enum JSONShape {
  static let maxDepth = 16

  /// An upper bound on the values in the text: every value but the first follows `[`, `,`
  /// or `:`, and every container opens with `[` or `{`.
  static func valueCount(_ text: UnsafeRawBufferPointer) -> Int {
    var count = 1
    scan(text) { byte, _ in
      if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") || byte == UInt8(ascii: ",")
        || byte == UInt8(ascii: ":")
      {
        count += 1
      }
    }
    return count
  }

  /// The deepest nesting of arrays and objects; a safetensors header needs 3.
  static func depth(_ text: UnsafeRawBufferPointer) -> Int {
    var deepest = 0
    scan(text) { byte, depth in
      if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") { deepest = max(deepest, depth + 1) }
    }
    return deepest
  }

  /// Keys of the outermost object (colons at depth 1).
  static func topLevelKeyCount(_ text: UnsafeRawBufferPointer) -> Int {
    var count = 0
    scan(text) { byte, depth in
      if byte == UInt8(ascii: ":") && depth == 1 { count += 1 }
    }
    return count
  }

  /// Calls `visit` with each structural byte outside strings and the nesting depth there.
  static func scan(_ text: UnsafeRawBufferPointer, _ visit: (UInt8, Int) -> Void) {
    var depth = 0, inString = false, escaped = false
    for byte in text {
      if inString {
        if escaped {
          escaped = false
        } else if byte == UInt8(ascii: "\\") {
          escaped = true
        } else if byte == UInt8(ascii: "\"") {
          inString = false
        }
        continue
      }
      switch byte {
      case UInt8(ascii: "\""): inString = true
      case UInt8(ascii: "["), UInt8(ascii: "{"):
        visit(byte, depth)
        depth += 1
      case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
      default: visit(byte, depth)
      }
    }
  }
}
