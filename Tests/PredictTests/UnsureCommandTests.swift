import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// `digits predict` saying what it does not know: "Not sure: 1 or 7?" below the confidence
/// threshold, "looks like several digits" for a number read without --multi, and blank.
@Suite struct UnsureCommandTests {
  let dir = TemporaryDirectory()
  static let seven = TestData.packageRoot.appendingPathComponent("docs/examples/seven.png").path
  static let number = TestData.packageRoot.appendingPathComponent("docs/examples/number-2024.png").path

  func json(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text)")
  }

  @Test func belowTheThresholdIsNotSure() throws {
    let text = try CLIRunner.run(["predict", "--backend", "cpu", "--min-confidence", "1", Self.seven])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.hasPrefix("\(Self.seven): Not sure: 7 or "), "\(text.stdout)")
    let r = try CLIRunner.run(["predict", "--backend", "cpu", "--json", "--min-confidence", "1", Self.seven])
    let line = try json(r.stdout)
    #expect(line["digit"] is NSNull && line["reason"] as? String == "unsure", "\(line)")
    let candidates = try #require(line["candidates"] as? [[String: Any]])
    #expect(candidates.map { $0["digit"] as? Int }.first == 7 && candidates.count == 2)
    let confidences = candidates.compactMap { $0["confidence"] as? Double }
    #expect(confidences.count == 2 && confidences[0] >= confidences[1])
    #expect(line["confidence"] as? Double == confidences[0])
    #expect((line["probabilities"] as? [Double])?.count == 10)
  }

  @Test func aClearDigitIsAnswered() throws {
    let r = try CLIRunner.run(["predict", "--backend", "cpu", "--json", Self.seven])
    let line = try json(r.stdout)
    #expect(line["digit"] as? Int == 7 && line["reason"] == nil, "\(line)")
  }

  @Test func severalDigitsWithoutMulti() throws {
    let text = try CLIRunner.run(["predict", "--backend", "cpu", Self.number])
    #expect(text.stdout == "\(Self.number): looks like several digits: 2024 (use --multi)\n", "\(text.stdout)")
    let line = try json(try CLIRunner.run(["predict", "--backend", "cpu", "--json", Self.number]).stdout)
    #expect(
      line["digit"] is NSNull && line["reason"] as? String == "several" && line["number"] as? String == "2024",
      "\(line)")
  }

  /// A wide picture is a number unless the whole of it is a very sure digit, at least as
  /// probable as its pieces together (a wide 0 split in two halves that each look like a
  /// digit).
  @Test func aSureWideDigitIsNotSeveral() {
    #expect(!PreparedPicture.readsAsSeveral(whole: 0.995, pieces: [0.9, 0.8], minConfidence: 0.87))
    #expect(PreparedPicture.readsAsSeveral(whole: 0.95, pieces: [0.9, 0.8], minConfidence: 0.87))
    #expect(PreparedPicture.readsAsSeveral(whole: 0.991, pieces: [0.999, 0.998], minConfidence: 0.87))
    #expect(PreparedPicture.readsAsSeveral(whole: 0.995, pieces: [0.9, 0.8], minConfidence: 0.999))
    #expect(!PreparedPicture.readsAsSeveral(whole: 0.2, pieces: [0.9], minConfidence: 0.87))
  }

  @Test func blankKeepsItsReason() throws {
    let path = dir.path + "/blank.png"
    try PNG.grayscale([UInt8](repeating: 230, count: 100 * 100), width: 100, height: 100).write(
      to: URL(fileURLWithPath: path))
    let line = try json(try CLIRunner.run(["predict", "--backend", "cpu", "--json", path]).stdout)
    #expect(line["digit"] is NSNull && line["reason"] as? String == "blank", "\(line)")
  }

  @Test func minConfidenceOutOfRangeIsRefused() throws {
    let r = try CLIRunner.run(["predict", "--min-confidence", "1.5", Self.seven])
    #expect(r.status != 0 && r.stderr.contains("--min-confidence must be 0 to 1"), "\(r.stderr)")
  }
}
