import DigitsCore
import DigitsInterop
import Foundation
import Testing
import _TestSupport

/// Anything but the seed CNN from Keras: one line naming the file and what was expected,
/// exit status 1, nothing written.
@Suite("Keras import refuses other files")
struct KerasImportErrorTests {
  /// A committed fixture's bytes; a missing one fails the test instead of becoming empty.
  static func fixture(_ name: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: KerasFixtures.path(name)))
  }

  /// What an empty or foreign file is told: the damaged fixtures must get something else.
  static let notAModel = "neither an HDF5 file nor a zip"

  /// (name, bytes, words the error must contain)
  static let cases: [(String, @Sendable () throws -> Data, String)] = [
    ("empty.h5", { Data() }, notAModel),
    ("text.keras", { Data("not a model".utf8) }, notAModel),
    ("truncated.h5", { try fixture("seed.h5").prefix(try fixture("seed.h5").count / 2) }, "HDF5"),
    ("header-only.h5", { try fixture("seed.h5").prefix(4096) }, "HDF5"),
    ("truncated.keras", { try fixture("seed.keras").prefix(try fixture("seed.keras").count / 2) }, "zip"),
    ("zip-head.keras", { try fixture("seed.keras").prefix(64) }, "zip"),
  ]

  @Test("damaged files: one line naming the file, status 1, nothing written", arguments: 0..<cases.count)
  func damaged(_ index: Int) throws {
    let (name, bytes, words) = Self.cases[index]
    let folder = TemporaryDirectory()
    let input = folder.path + "/" + name
    let data = try bytes()
    try data.write(to: URL(fileURLWithPath: input))
    let stderr = try expectRefused(input, words: words, folder: folder.path)
    if data.count >= 64 {
      #expect(!stderr.contains(Self.notAModel), "\(name) was taken for an empty or foreign file: \(stderr)")
    }
  }

  @Test("another architecture is refused, with or without its config", arguments: ["other.keras", "other.weights.h5"])
  func otherArchitecture(_ name: String) throws {
    let folder = TemporaryDirectory()
    try expectRefused(
      KerasFixtures.path(name), words: name.hasSuffix(".keras") ? "seed CNN" : "expected", folder: folder.path)
  }

  /// Found by FuzzKerasImport: a damaged `model_config` attribute sends libhdf5 1.10.8 into
  /// an endless loop in its global heap (H5HG_read under H5Aread). `digits import` reads in a
  /// child process with a time limit, so the hang becomes one error line.
  @Test("a file that hangs libhdf5 is one error line after the time limit")
  func hdf5Hang() throws {
    let folder = TemporaryDirectory()
    try expectRefused(
      KerasFixtures.path("fuzz/hdf5-global-heap-hang.h5"), words: "no answer from the HDF5 library",
      folder: folder.path, environment: ["DIGITS_IMPORT_TIMEOUT": "2"])
  }

  @Test("a missing file is refused")
  func noSuchFile() throws {
    let folder = TemporaryDirectory()
    try expectRefused(folder.path + "/missing.keras", words: "no such file", folder: folder.path)
  }

  @Test("a folder is refused")
  func folderInput() throws {
    let folder = TemporaryDirectory()
    try expectRefused(folder.path, words: "not a regular file", folder: folder.path)
  }

  @discardableResult
  func expectRefused(_ input: String, words: String, folder: String, environment: [String: String] = [:]) throws
    -> String
  {
    let out = folder + "/out.safetensors"
    let r = try CLIRunner.run(["import", input, "--out", out], environment: environment)
    let lines = r.stderr.split(separator: "\n")
    #expect(r.status == 1, "\(input): status \(r.status), stderr \(r.stderr)")
    #expect(
      lines.count == 1 && r.stderr.hasPrefix("Error: \(input)") && r.stderr.contains(words),
      "\(input): expected one line starting 'Error: \(input)' and saying '\(words)', got:\n\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out), "\(input): wrote \(out)")
    return r.stderr
  }
}
