import DigitsCore
import DigitsVision
import Foundation
import Testing

/// The constants MNISTLayout lays digits out by, measured again on MNIST's training set
/// (every 10th of the 60,000): a changed constant, or a changed `InkGeometry`,
/// `Resample.area` or `Strokes.width` that moves what they stand for, fails here.
@Suite struct MNISTLayoutConstantsTests {
  @Test func centreAndStrokeWidthAreMNISTs() {
    let set = MNISTSamples.training
    var sx = 0.0, sy = 0.0
    var widths: [Float] = []
    for i in stride(from: 0, to: set.count, by: 10) {
      let ink = MNISTSamples.ink(set, i)
      let geometry = InkGeometry(ink)
      let (x0, x1, y0, y1) = geometry.box
      sx += Double(geometry.centre.x)
      sy += Double(geometry.centre.y)
      let cw = x1 - x0 + 1, ch = y1 - y0 + 1
      var crop = [Float](repeating: 0, count: cw * ch)
      for y in 0..<ch { for x in 0..<cw { crop[y * cw + x] = ink[(y + y0) * 28 + x + x0] } }
      // The work resolution: 4 times the 20 px box (MNISTLayout.oversample).
      let scale = Float(MNISTLayout.box) / Float(max(cw, ch))
      let ow = max(1, Int((Float(cw) * scale * 4).rounded())), oh = max(1, Int((Float(ch) * scale * 4).rounded()))
      let work = Resample.area(crop, width: cw, height: ch, toWidth: ow, toHeight: oh)
      widths.append(Strokes.width(work, width: ow, height: oh))
    }
    let n = Double(widths.count)
    let centre = (x: sx / n, y: sy / n)
    widths.sort()
    let median = widths[widths.count / 2]
    print(
      "MNIST centre of mass x \(centre.x) y \(centre.y); stroke width at work resolution: "
        + "p10 \(widths[widths.count / 10]) median \(median) p90 \(widths[widths.count * 9 / 10])")
    // Measured: (14.01, 14.00) and 9.4; the bounds are a twentieth of a pixel and a
    // hundredth of the width, well under what moving either would change.
    #expect(abs(centre.x - Double(MNISTLayout.centre.x)) <= 0.05, "centre x \(centre.x)")
    #expect(abs(centre.y - Double(MNISTLayout.centre.y)) <= 0.05, "centre y \(centre.y)")
    #expect(abs(median - MNISTLayout.targetStrokeWidth) <= 0.1, "median stroke width \(median)")
  }
}

/// Tools, not checks: pictures and figures for a person to look at. Run with
/// DIGITS_CALIBRATE=1.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["DIGITS_CALIBRATE"] != nil))
struct CalibrationTests {}

extension CalibrationTests {
  /// Writes /tmp/digits-augmented.png: 16 training digits (top row) and 7 augmentations each.
  @Test func augmentationSheet() throws {
    let set = MNISTSamples.training
    let cols = 16, rows = 8
    var sheet = [UInt8](repeating: 0, count: cols * 28 * rows * 28)
    var rng = SeededGenerator(seed: 7)
    for c in 0..<cols {
      let original = MNISTSamples.ink(set, c)
      for r in 0..<rows {
        var img = original
        if r > 0 { Augmentation.best.augment(&img, rng: &rng) }
        for y in 0..<28 {
          for x in 0..<28 {
            sheet[(r * 28 + y) * cols * 28 + c * 28 + x] = UInt8(min(255, max(0, img[y * 28 + x] * 255)))
          }
        }
      }
    }
    try PNG.grayscale(sheet, width: cols * 28, height: rows * 28).write(
      to: URL(fileURLWithPath: "/tmp/digits-augmented.png"))
  }
}

extension CalibrationTests {
  /// Writes the first failing multi-digit photos to /tmp/digits-multi-*.png with the
  /// segmentation printed (DIGITS_PREDICT_MODEL picks the model).
  @Test func multiDigitFailures() throws {
    var rng = SeededGenerator(seed: 5)
    var maker = PhotoMaker(seed: 6)
    maker.canvas = 120...200
    let classifier = PredictionTests.classifier()
    let reader = NumberReader()
    var shown = 0
    for s in 0..<120 {
      let length = 2 + Int(rng.next() % 4)
      let indices = (0..<length).map { _ in Int(rng.next() % UInt64(MNISTSamples.test.count)) }
      let truth = indices.map { String(MNISTSamples.test.labels[$0]) }.joined()
      let strip = maker.strip(indices.map { MNISTSamples.ink(MNISTSamples.test, $0) })
      let photo = maker.photo(strip.ink, width: strip.width, height: strip.height, digitHeight: 40...80)
      let reading = reader.read(photo) { classifier.probabilities($0) }
      guard reading.number != truth, shown < 8 else { continue }
      shown += 1
      let map = InkMap.make(photo)
      print(
        "#\(s) \(truth) read \(reading.number): digits \(reading.digits.map { "\($0.digit)@\($0.box.x)+\($0.box.width) \(Int($0.confidence * 100))%" })"
      )
      try PNG.grayscale(photo.bytes, width: photo.width, height: photo.height).write(
        to: URL(fileURLWithPath: "/tmp/digits-multi-\(s).png"))
      try PNG.grayscale(map.ink.map { UInt8($0 * 255) }, width: map.width, height: map.height).write(
        to: URL(fileURLWithPath: "/tmp/digits-multi-\(s)-ink.png"))
    }
  }
}

extension CalibrationTests {
  /// The numbers for the README: the built-in model on all 10,000 test digits through the
  /// preprocessing, on 2,000 synthetic photos and on 500 synthetic numbers.
  @Test func reportNumbers() {
    let classifier = PredictionTests.classifier()
    let all = Array(0..<MNISTSamples.test.count)
    let plain = PredictionTests.accuracy(
      classifier, all.map { MNISTSamples.picture(MNISTSamples.test, $0) },
      all.map { Int(MNISTSamples.test.labels[$0]) })
    let photoIndices = MNISTSamples.spread(2000, offset: 5)
    let photos = PredictionTests.accuracy(
      classifier, PredictionTests.photos(photoIndices, seed: 1234),
      photoIndices.map { Int(MNISTSamples.test.labels[$0]) })
    var rng = SeededGenerator(seed: 55)
    var maker = PhotoMaker(seed: 56)
    maker.canvas = 120...200
    let reader = NumberReader()
    var right = 0
    let strings = 500
    for _ in 0..<strings {
      let length = 2 + Int(rng.next() % 4)
      let indices = (0..<length).map { _ in Int(rng.next() % UInt64(MNISTSamples.test.count)) }
      let truth = indices.map { String(MNISTSamples.test.labels[$0]) }.joined()
      let strip = maker.strip(indices.map { MNISTSamples.ink(MNISTSamples.test, $0) })
      let photo = maker.photo(strip.ink, width: strip.width, height: strip.height, digitHeight: 40...80)
      if reader.read(photo, classify: { classifier.probabilities($0) }).number == truth { right += 1 }
    }
    print(
      "REPORT all 10,000 test digits through preprocessing: \(plain * 100)%; 2,000 synthetic photos: \(photos * 100)%; "
        + "500 synthetic numbers (2-5 digits): \(Double(right) / Double(strings) * 100)%")
  }
}
