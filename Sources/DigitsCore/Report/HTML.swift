import Foundation

/// Text helpers for the report's markup. The page is polyglot: valid HTML5 and well-formed
/// XML (void elements self-closed, no named entities), so tests can parse it with an XML
/// parser and browsers render it as HTML.
enum HTML {
  /// Escapes text for element content and attribute values.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for ch in text {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(ch)
      }
    }
    return out
  }

  /// A number with a fixed count of decimals, "-" for nil or non-finite values.
  static func fixed(_ x: Double?, _ decimals: Int) -> String {
    guard let x, x.isFinite else { return "-" }
    return String(format: "%.\(decimals)f", x)
  }

  /// A fraction as a percentage: 0.9912 -> "99.12%".
  static func percent(_ x: Double?, _ decimals: Int = 2) -> String {
    guard let x, x.isFinite else { return "-" }
    return String(format: "%.\(decimals)f%%", x * 100)
  }

  /// A coordinate for SVG: short, no exponent. Clamped to ±1e9 (far off any page), so a
  /// wild value gives a wild coordinate, never a trap in `Int(_:)`.
  static func coord(_ x: Double) -> String {
    let clamped = x.isNaN ? 0 : min(max(x, -1e9), 1e9)
    let r = (clamped * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
  }
}
