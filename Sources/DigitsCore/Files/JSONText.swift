/// Hand-written JSON for prediction output (`digits predict --json` and the server's API):
/// fields in a fixed order, Floats in their shortest round-trip form ("0.99731", "1.2e-07"),
/// and no Foundation encoder in a path that runs thousands of times a second.
public enum JSONText {
  /// A JSON string literal.
  public static func string(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  /// A number; NaN and infinities (never valid JSON) become null.
  public static func number(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }

  public static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }

  /// An array of numbers. Zeros (most of a 28x28 input) are written "0" without the
  /// float formatter, which is most of the cost of a prediction's JSON. Not generic: a
  /// generic called from another module runs unspecialised, through metadata lookups.
  public static func numbers(_ values: [Float]) -> String { values.withUnsafeBufferPointer(numbers) }

  public static func numbers(_ values: ArraySlice<Float>) -> String { values.withUnsafeBufferPointer(numbers) }

  static func numbers(_ values: UnsafeBufferPointer<Float>) -> String {
    // Bytes, not String appends: a String append costs more than formatting a zero.
    var out: [UInt8] = [UInt8(ascii: "[")]
    out.reserveCapacity(values.count * 12 + 2)
    for i in values.indices {
      if i > 0 { out.append(UInt8(ascii: ",")) }
      let v = values[i]
      if v == 0 {
        out.append(UInt8(ascii: "0"))
      } else {
        out.append(contentsOf: number(v).utf8)
      }
    }
    out.append(UInt8(ascii: "]"))
    return String(decoding: out, as: UTF8.self)
  }

  /// An object from (key, JSON value) pairs, in the order given.
  public static func object(_ fields: [(String, String)]) -> String {
    "{" + fields.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
  }

  public static func array(_ values: [String]) -> String { "[" + values.joined(separator: ",") + "]" }
}
