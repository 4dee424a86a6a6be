import Foundation
import Testing
import _TestSupport

/// The child that `digits import` reads in: a file named like an option is still the file,
/// and a child over its memory limit (a small model, or a chunk that inflates to gigabytes)
/// is one error line, nothing written.
@Suite struct IsolatedImportTests {
  /// `-seed.keras` in the working folder: before the child got `--`, it parsed the name as
  /// an unknown option.
  @Test func fileNamedLikeAnOption() throws {
    let folder = TemporaryDirectory()
    try FileManager.default.copyItem(atPath: KerasFixtures.path("seed.keras"), toPath: folder.path + "/-seed.keras")
    let r = try CLIRunner.run(["import", "--out", "out.safetensors", "--", "-seed.keras"], directory: folder.path)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(FileManager.default.fileExists(atPath: folder.path + "/out.safetensors"))
  }

  /// With 1 MB of address space the child reads the small fixture from the heap it has,
  /// writes its model and then either crashes on its way out (the runtime cannot map what it
  /// needs) or hangs there, sleeping, until the parent's time limit kills it: either way one
  /// error line from the parent, and the model it staged is not put in place. The limit is
  /// 5 s here, not the hang guard: a child with 1 MB can never finish, so no machine is too
  /// slow for it.
  @Test func childOverItsMemoryLimit() throws {
    let folder = TemporaryDirectory()
    let out = folder.path + "/out.safetensors"
    let input = KerasFixtures.path("seed.h5")
    let r = try CLIRunner.run(
      ["import", input, "--out", out], environment: ["DIGITS_IMPORT_MEMORY_MB": "1", "DIGITS_IMPORT_TIMEOUT": "5"])
    #expect(r.status != 0)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1 && lines[0].hasPrefix("Error: "), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  /// A weights file whose first kernel is one small chunk that inflates to 3 GiB
  /// (`make_inflating_fixture.py`): libhdf5 grows its buffer until the child's address-space
  /// limit stops it, and the parent reports one error line naming the file; nothing written.
  /// The limit is 512 MB here, so the test costs what the bound allows, not gigabytes; the
  /// peak resident set (parent and child) stays under it. With no limit at all the import
  /// succeeded, writing a model of zeros, after a peak of 3.3 GB.
  @Test func chunkThatInflatesToGigabytes() throws {
    let folder = TemporaryDirectory()
    let out = folder.path + "/out.safetensors"
    let input = KerasFixtures.path("inflating.weights.h5")
    let limitMB = 512
    let r = try MeasuredRun.digits(
      ["import", input, "--out", out], environment: ["DIGITS_IMPORT_MEMORY_MB": String(limitMB)])
    #expect(r.status != 0 && !r.signalled)
    #expect(r.peakBytes < limitMB << 20, "peak \(r.peakBytes >> 20) MB")
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1 && lines[0].hasPrefix("Error: ") && lines[0].contains(input), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
  }
}
