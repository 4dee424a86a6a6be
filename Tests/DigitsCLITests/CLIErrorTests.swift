import DigitsCore
import Foundation
import Testing
import _TestSupport

/// Bad input through the real binary: one clear line naming the problem, non-zero exit,
/// no stack trace, nothing half-written.
@Suite struct CLIErrorTests {
  let dir = TemporaryDirectory()

  func expectCleanFailure(
    _ r: CLIRunner.Result, mentioning fragments: [String], sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(r.status != 0, sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n").filter { !$0.isEmpty }
    let errorLines = lines.filter { $0.hasPrefix("Error:") }
    #expect(errorLines.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    for f in fragments { #expect(r.stderr.contains(f), "\(f) not in: \(r.stderr)", sourceLocation: sourceLocation) }
    #expect(!r.stderr.contains("Stack dump") && !r.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
  }

  @Test func missingDataFolder() throws {
    let r = try CLIRunner.run([
      "train", "--data", dir.path + "/none", "--backend", "cpu", "--out", dir.path + "/m.safetensors",
    ])
    expectCleanFailure(r, mentioning: [dir.path + "/none", "digits download"])
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/m.safetensors"))
  }

  @Test func badFlagValues() throws {
    expectCleanFailure(try CLIRunner.run(["train", "--epochs", "0"]), mentioning: ["--epochs"])
    expectCleanFailure(try CLIRunner.run(["train", "--backend", "tpu"]), mentioning: ["tpu"])
    expectCleanFailure(try CLIRunner.run(["train", "--limit", "-3"]), mentioning: ["--limit"])
  }

  @Test func corruptModelFiles() throws {
    let truncated = dir.path + "/truncated.safetensors"
    FileManager.default.createFile(atPath: truncated, contents: Data([16, 0, 0, 0, 0, 0, 0, 0, 123]))
    expectCleanFailure(
      try CLIRunner.run(["evaluate", "--model", truncated, "--data", TestData.mnistPath]),
      mentioning: [truncated, "truncated"])
    let missing = dir.path + "/absent.safetensors"
    expectCleanFailure(
      try CLIRunner.run(["evaluate", "--model", missing, "--data", TestData.mnistPath]),
      mentioning: [missing, "no such file"])
    let other = dir.path + "/other.safetensors"
    try Safetensors.write(
      .init(
        tensors: [.init(name: "w", shape: [2], values: [1, 2])],
        metadata: ["format": "digits-model", "format_version": "1", "architecture": "[resnet]"]), to: other)
    expectCleanFailure(
      try CLIRunner.run(["evaluate", "--model", other, "--data", TestData.mnistPath]),
      mentioning: [other, "architecture"])
  }

  @Test func truncatedDataFile() throws {
    let data = dir.path + "/data"
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    for stem in DatasetFolder.fileStems {
      try FileManager.default.copyItem(atPath: TestData.mnistPath + "/\(stem).gz", toPath: data + "/\(stem).gz")
    }
    let images = data + "/train-images-idx3-ubyte.gz"
    let whole = FileManager.default.contents(atPath: images)!
    FileManager.default.createFile(atPath: images, contents: whole.prefix(whole.count / 3))
    let r = try CLIRunner.run(["train", "--data", data, "--backend", "cpu", "--out", dir.path + "/m.safetensors"])
    expectCleanFailure(r, mentioning: [images, "truncated"])
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/m.safetensors"))
  }
}
