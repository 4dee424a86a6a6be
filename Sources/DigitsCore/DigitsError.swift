/// A user-facing failure: one line that names the file (or flag) and what is wrong with it.
/// The CLI prints `description` and exits non-zero; no stack trace.
public struct DigitsError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }

  /// "<path>: <problem>".
  public static func file(_ path: String, _ problem: String) -> DigitsError {
    DigitsError("\(path): \(problem)")
  }
}
