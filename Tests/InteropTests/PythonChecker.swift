import Foundation
import Testing
import _TestSupport

/// Runs the Python checkers of Tests/Interop (onnx, onnxruntime, numpy from PyPI) the way
/// the browser test runs Selenium: where python3 or a module is missing the test is skipped
/// saying why, except with CI=true, where it runs and fails saying what is missing.
enum PythonChecker {
  static let modules = ["onnx", "onnxruntime", "numpy"]

  /// What this machine lacks, each with how to install it.
  static let missing: [String] = {
    guard (try? run(["python3", "-c", "pass"]).status) == 0 else { return ["python3 (apt-get install python3)"] }
    return modules.filter { (try? run(["python3", "-c", "import \($0)"]).status) != 0 }
      .map { "the \($0) Python module (python3 -m pip install onnx onnxruntime numpy)" }
  }()

  static var isAvailable: Bool { missing.isEmpty }
  static var shouldRun: Bool { isAvailable || TestEnvironment.isCI }
  static var skipMessage: Comment {
    Comment(
      rawValue: "ONNX Runtime check skipped: missing \(missing.joined(separator: ", ")); with CI=true it fails instead")
  }

  /// Records a failure (CI=true without the modules) and returns false when the check cannot run.
  static func ready() -> Bool {
    if !isAvailable {
      Issue.record("CI=true and the ONNX Runtime check cannot run: missing \(missing.joined(separator: ", "))")
    }
    return isAvailable
  }

  /// Runs a command found on $PATH from the package root; output and error together.
  static func run(_ command: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = command
    p.currentDirectoryURL = TestData.packageRoot
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: output, as: UTF8.self))
  }
}
