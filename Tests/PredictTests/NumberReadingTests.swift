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
  /// both read. These pairs (74, 72, 97, 74) were each read as one digit while cuts were
  /// tried only in blobs 1.2 digit heights wide.
  @Test func touchingPairIsReadAsTwoDigits() {
    let classifier = PredictionTests.classifier()
    let pairs: [(indices: [Int], step: Int)] = [([26, 27], 14), ([34, 35], 14), ([16, 17], 16), ([26, 27], 16)]
    var wrong: [String] = []
    for pair in pairs {
      let picture = Self.number(pair.indices, step: pair.step)
      let reading = NumberReader().read(picture) { classifier.probabilities($0) }
      let truth = Self.truth(pair.indices)
      if reading.number != truth { wrong.append("\(truth) (step \(pair.step)) read \(reading.number)") }
    }
    #expect(wrong.isEmpty, "\(wrong)")
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
