import Foundation

/// Output helpers: results go to stdout, progress and notes to stderr.
enum Console {
  static let stderrIsTerminal = isatty(STDERR_FILENO) == 1

  static func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }

  /// A result line on stdout, written at once (not held in a pipe's buffer).
  static func line(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
  }

  static func progress(_ line: String) {
    FileHandle.standardError.write(Data(line.utf8))
  }
}
