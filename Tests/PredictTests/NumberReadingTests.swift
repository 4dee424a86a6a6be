import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// Numbers whose digits touch or overlap, composed from MNIST test digits, and how sure a
/// reading says it is.
@Suite(.serialized) struct NumberReadingTests {
  /// Test digits side by side, `step` pixels apart (MNIST digits are about 20 pixels wide in
  /// their 28, so 16 makes neighbours overlap), enlarged `scale` times, dark ink on white.
  static func number(_ indices: [Int], step: Int, scale: Int = 3) -> GrayImage {
    let width = step * (indices.count - 1) + 28
    var ink = [Float](repeating: 0, count: width * 28)
    for (k, index) in indices.enumerated() {
      let digit = MNISTSamples.ink(MNISTSamples.test, index)
      for y in 0..<28 {
        for x in 0..<28 { ink[y * width + k * step + x] = max(ink[y * width + k * step + x], digit[y * 28 + x]) }
      }
    }
    var pixels = [Float](repeating: 1, count: width * scale * 28 * scale)
    for y in 0..<(28 * scale) {
      for x in 0..<(width * scale) {
        pixels[y * width * scale + x] = 1 - bilinear(ink, width, 28, Float(x) / Float(scale), Float(y) / Float(scale))
      }
    }
    return GrayImage(width: width * scale, height: 28 * scale, pixels: pixels)
  }

  static func truth(_ indices: [Int]) -> String { indices.map { String(MNISTSamples.test.labels[$0]) }.joined() }

  /// Two test digits whose strokes overlap (one connected blob of ink) are cut apart and
  /// both read: MNIST test digits 34-35 and 16-17, 14 and 16 pixels apart at MNIST's scale,
  /// enlarged 3 times (Tests/Numbers/touching-*.png). Each was read as one digit (2, 7)
  /// while cuts were tried only in blobs 1.2 digit heights wide.
  @Test func touchingPairIsReadAsTwoDigits() throws {
    let classifier = PredictionTests.classifier()
    for truth in ["72", "97"] {
      let path = TestData.packageRoot.appendingPathComponent("Tests/Numbers/touching-\(truth).png").path
      let reading = NumberReader().read(try ImageDecoder.read(path: path)) { classifier.probabilities($0) }
      #expect(reading.number == truth)
    }
  }

  /// A slanted number whose digits' ink groups overlap in x (from the number test set,
  /// Benchmarks/Numbers, seed 2001): a run of pieces from two such groups once gave a
  /// backwards column range and stopped the process. Read to the end, one digit each.
  @Test func slantedOverlappingGroupsAreRead() throws {
    let path = TestData.packageRoot.appendingPathComponent("Tests/Numbers/number-slanted-8745475.png").path
    let picture = try ImageDecoder.read(path: path)
    let classifier = PredictionTests.classifier()
    let reading = NumberReader().read(picture) { classifier.probabilities($0) }
    #expect(reading.digits.count == 7, "read \(reading.number)")
  }

  /// Below the threshold a digit is a `?` with its two likeliest digits; above it the number
  /// is plain, and the number's confidence is at most its least sure digit's.
  @Test func unsureDigitsAreMarked() {
    let classifier = PredictionTests.classifier()
    let indices = [0, 1, 2]
    let picture = Self.number(indices, step: 26)
    let sure = NumberReader().read(picture, minConfidence: 0) { classifier.probabilities($0) }
    #expect(sure.number == Self.truth(indices) && sure.text == sure.number && sure.unsure.isEmpty)
    #expect(sure.confidence > 0 && sure.confidence <= sure.digits.map(\.confidence).min()!)
    let unsure = NumberReader().read(picture, minConfidence: 1.01) { classifier.probabilities($0) }
    #expect(unsure.text == "???" && unsure.unsure == [0, 1, 2] && unsure.number == sure.number)
  }
}
