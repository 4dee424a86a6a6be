import Foundation

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

  /// Largest header accepted, as other readers do (100 MB), so a corrupt length can't OOM us.
  static let maxHeaderBytes = 100_000_000

  public static func encode(_ file: File) throws -> Data {
    var header: [String: Any] = [:]
    var offset = 0
    for t in file.tensors {
      precondition(t.shape.reduce(1, *) == t.values.count, "\(t.name): shape does not match values")
      let bytes = t.values.count * 4
      header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
      offset += bytes
    }
    if !file.metadata.isEmpty { header["__metadata__"] = file.metadata }
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
    while (8 + json.count) % 8 != 0 { json.append(0x20) }
    var out = Data(capacity: 8 + json.count + offset)
    var length = UInt64(json.count).littleEndian
    withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
    out.append(json)
    for t in file.tensors {
      t.values.withUnsafeBufferPointer { p in
        if Int(1).littleEndian == 1 {
          out.append(UnsafeBufferPointer(start: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: UInt8.self), count: p.count * 4))
        } else {
          for v in p { var b = v.bitPattern.littleEndian; withUnsafeBytes(of: &b) { out.append(contentsOf: $0) } }
        }
      }
    }
    return out
  }

  public static func decode(_ data: Data, path: String) throws -> File {
    let bytes = [UInt8](data)
    guard bytes.count >= 8 else { throw DigitsError.file(path, "too short for a safetensors file (\(bytes.count) bytes)") }
    var n: UInt64 = 0
    for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    guard n <= UInt64(maxHeaderBytes) else { throw DigitsError.file(path, "not a safetensors file (header length \(n) is implausible)") }
    let headerEnd = 8 + Int(n)
    guard bytes.count >= headerEnd else { throw DigitsError.file(path, "truncated safetensors header") }
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
    } catch {
      throw DigitsError.file(path, "safetensors header is not valid JSON")
    }
    guard let header = object as? [String: Any] else { throw DigitsError.file(path, "safetensors header is not a JSON object") }
    var metadata: [String: String] = [:]
    if let meta = header["__metadata__"] {
      guard let m = meta as? [String: String] else { throw DigitsError.file(path, "__metadata__ must map strings to strings") }
      metadata = m
    }
    let body = bytes.count - headerEnd
    var tensors: [(offset: Int, tensor: NamedTensor)] = []
    for (name, value) in header where name != "__metadata__" {
      guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
            let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
      else { throw DigitsError.file(path, "tensor \(name) has a malformed header entry") }
      guard dtype == "F32" else { throw DigitsError.file(path, "tensor \(name) is \(dtype); only F32 is supported") }
      guard shape.allSatisfy({ $0 >= 0 }) else { throw DigitsError.file(path, "tensor \(name) has a negative dimension") }
      let (begin, end) = (offsets[0], offsets[1])
      let count = shape.reduce(1, *)
      guard begin >= 0, end >= begin, end - begin == count * 4 else {
        throw DigitsError.file(path, "tensor \(name): data_offsets \(begin)-\(end) do not hold shape \(shape) of F32")
      }
      guard end <= body else { throw DigitsError.file(path, "truncated: tensor \(name) ends at byte \(end) of \(body)") }
      var values = [Float](repeating: 0, count: count)
      let base = headerEnd + begin
      for i in 0..<count {
        let o = base + 4 * i
        values[i] = Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
      }
      tensors.append((begin, NamedTensor(name: name, shape: shape, values: values)))
    }
    return File(tensors: tensors.sorted { $0.offset < $1.offset }.map(\.tensor), metadata: metadata)
  }

  public static func read(path: String) throws -> File {
    guard FileManager.default.fileExists(atPath: path) else { throw DigitsError.file(path, "no such file") }
    guard let data = FileManager.default.contents(atPath: path) else { throw DigitsError.file(path, "cannot be read") }
    return try decode(data, path: path)
  }

  public static func write(_ file: File, to path: String) throws {
    try AtomicFile.write(try encode(file), to: path)
  }
}
