import DigitsCore
import DigitsDownload
import Foundation
import Testing
import _TestSupport

/// `digits download` end to end, against the local mirror only.
@Suite struct DownloadCommandTests {
  /// SwiftPM puts the executable next to the test bundle. Without it these tests skip,
  /// except on CI, where they fail.
  static let executable: String? = {
    let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return [products, products.deletingLastPathComponent()].map { $0.appendingPathComponent("digits").path }
      .first { FileManager.default.isExecutableFile(atPath: $0) }
  }()

  static func digits(_ args: [String], environment extra: [String: String] = [:]) throws -> (
    status: Int32, stdout: String, stderr: String
  ) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try #require(executable))
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env[DatasetSource.mirrorsVariable] = nil
    for (k, v) in extra { env[k] = v }
    p.environment = env
    let dir = TemporaryDirectory()
    let out = dir.path + "/stdout", err = dir.path + "/stderr"
    FileManager.default.createFile(atPath: out, contents: nil)
    FileManager.default.createFile(atPath: err, contents: nil)
    p.standardOutput = FileHandle(forWritingAtPath: out)
    p.standardError = FileHandle(forWritingAtPath: err)
    try p.run()
    p.waitUntilExit()
    return (
      p.terminationStatus, try String(contentsOfFile: out, encoding: .utf8),
      try String(contentsOfFile: err, encoding: .utf8)
    )
  }

  /// Any CI value turns the skips here (and the OpenCL and browser ones) into failures:
  /// services set CI to "true", "1", "yes" or their own name.
  @Test func anyNonEmptyCIValueCounts() {
    for value in ["true", "1", "yes", "TRUE", "woodpecker"] { #expect(TestEnvironment.isCI(value), "CI=\(value)") }
    for value in [nil, "", " ", "false", "FALSE", "0"] {
      #expect(!TestEnvironment.isCI(value), "CI=\(value ?? "unset")")
    }
  }

  @Test(.enabled(if: executable != nil || TestEnvironment.isCI)) func mirrorsFromTheEnvironment() throws {
    let mirror = try LocalMirror(root: TestData.mnistPath)
    let dir = TemporaryDirectory()
    let env = [DatasetSource.mirrorsVariable: "\(mirror.downURL.absoluteString) \(mirror.url("good").absoluteString)"]
    let r = try Self.digits(["download", "--to", dir.path], environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == "mnist: all four files verified in \(dir.path)\n")
    #expect(r.stderr.contains("connection refused"))
    #expect(try DatasetFolder.locate(option: dir.path).loadTest().count == 10_000)
    #expect(mirror.log.count == 4)
  }

  @Test(.enabled(if: executable != nil || TestEnvironment.isCI)) func noGoodMirrorIsOneLineAndAFailure() throws {
    let mirror = try LocalMirror(root: TestData.mnistPath)
    let dir = TemporaryDirectory()
    let r = try Self.digits([
      "download", "--to", dir.path, "--tries", "1",
      "--mirror", mirror.url("missing").absoluteString, "--mirror", mirror.downURL.absoluteString,
    ])
    #expect(r.status != 0)
    let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
    #expect(last.hasPrefix("Error: \(dir.path)/train-images-idx3-ubyte.gz: no mirror gave a good copy"), "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
  }

  @Test(.enabled(if: executable != nil || TestEnvironment.isCI)) func rejectsAMirrorThatIsNotHTTP() throws {
    let r = try Self.digits(["download", "--to", "/nonexistent/never", "--mirror", "ftp://127.0.0.1/mnist/"])
    #expect(r.status != 0)
    #expect(r.stderr.contains("--mirror ftp://127.0.0.1/mnist/: not an http or https URL"))
  }
}
