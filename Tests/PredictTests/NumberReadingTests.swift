import DefaultModel
import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// Numbers whose digits touch or overlap, composed from MNIST test digits, and how sure a
/// reading says it is.
@Suite(.serialized) struct NumberReadingTests {
  /// Test digits side by side, `step` pixels apart (MNIST digits are about 20 pixels wide in
  /// their 28, so 16 makes neighbours overlap), enlarged `scale` times, dark ink on white;
  /// `darkness` scales each digit's ink (1: black).
  static func number(_ indices: [Int], step: Int, scale: Int = 3, darkness: [Float]? = nil) -> GrayImage {
    let width = step * (indices.count - 1) + 28
    var ink = [Float](repeating: 0, count: width * 28)
    for (k, index) in indices.enumerated() {
      let digit = MNISTSamples.ink(MNISTSamples.test, index)
      for y in 0..<28 {
        for x in 0..<28 {
          let value = digit[y * 28 + x] * (darkness?[k] ?? 1)
          ink[y * width + k * step + x] = max(ink[y * width + k * step + x], value)
        }
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

  /// A digit much lighter than its neighbours (40% of their darkness) falls apart into specks
  /// at the components' threshold; the reader sees its faint ink untouched by any digit and
  /// segments again at a lower threshold, which reads it. One a little lighter (38%) is not
  /// read even then, and the number does not claim to be sure: its confidence is at most
  /// half its digits' together. (At 36% and below the digit leaves no ink in the map at all.)
  /// Without the pale digit the same two digits are sure.
  @Test func paleDigitIsReadOrMakesTheNumberUnsure() {
    let classifier = PredictionTests.classifier()
    let read = { (picture: GrayImage) in NumberReader().read(picture) { classifier.probabilities($0) } }
    let sureness = { (r: NumberReader.Reading) in r.digits.map(\.confidence).reduce(1, *) }
    let pale = read(Self.number([0, 1, 2], step: 26, darkness: [1, 1, 0.4]))
    #expect(pale.number == Self.truth([0, 1, 2]), "read \(pale.number)")
    let paler = read(Self.number([0, 1, 2], step: 26, darkness: [1, 1, 0.38]))
    #expect(paler.number == Self.truth([0, 1]), "read \(paler.number)")
    #expect(paler.confidence <= 0.5 * sureness(paler), "\(paler.confidence) of \(sureness(paler))")
    let plain = read(Self.number([0, 1], step: 26))
    #expect(plain.number == Self.truth([0, 1]) && plain.confidence > 0.5 * sureness(plain))
  }

  /// Two wrong readings of validation numbers (`make-numbers.py --split validation`, seeds 521
  /// and 511, Tests/Numbers/number-*.png) that the split share times the digits' confidences
  /// called sure (0.9993, 0.9999) and `NumberConfidence` does not: a thin `1` beside a bold
  /// `65` falls apart and is left out (ink no digit holds), and a touching `14` is read as
  /// one `4` (the judge finds the piece no whole digit). Three digits apart, read right, stay
  /// sure.
  @Test func confidentMistakesAreNotSure() throws {
    let classifier = PredictionTests.classifier()
    let reader = NumberReader(judge: try DefaultModel.judge())
    for (name, read) in [("number-thin-digit-165", "65"), ("number-merged-14", "4")] {
      let path = TestData.packageRoot.appendingPathComponent("Tests/Numbers/\(name).png").path
      let reading = reader.read(try ImageDecoder.read(path: path)) { classifier.probabilities($0) }
      // If the reader learns to read these, they stop being examples of this: pick others.
      #expect(reading.number == read, "\(name) read \(reading.number)")
      // The digit network alone is sure of each digit.
      let network = classifier.probabilities(reading.digits.flatMap(\.pixels))
      let sure = stride(from: 0, to: network.count, by: 10).map { network[$0..<($0 + 10)].max()! }
      #expect(sure.min()! > 0.99, "\(name): each digit is sure to the digit network")
      #expect(reading.confidence < 0.5, "\(name): \(reading.confidence)")
    }
    let indices = [0, 1, 2]
    let plain = reader.read(Self.number(indices, step: 26)) { classifier.probabilities($0) }
    #expect(plain.number == Self.truth(indices) && plain.confidence >= 0.95, "\(plain.number) \(plain.confidence)")
  }

  /// Which digit's ink each pixel of `number(indices, step:, scale:)` is: 1 + its index, 0
  /// for paper, as `make-numbers.py --owners` writes it.
  static func owners(_ indices: [Int], step: Int, scale: Int = 3) -> [UInt8] {
    let width = step * (indices.count - 1) + 28
    let layers = indices.enumerated().map { k, index -> [Float] in
      let digit = MNISTSamples.ink(MNISTSamples.test, index)
      var ink = [Float](repeating: 0, count: width * 28)
      for y in 0..<28 { for x in 0..<28 { ink[y * width + k * step + x] = digit[y * 28 + x] } }
      return ink
    }
    var owners = [UInt8](repeating: 0, count: width * scale * 28 * scale)
    for y in 0..<(28 * scale) {
      for x in 0..<(width * scale) {
        let u = Float(x) / Float(scale), v = Float(y) / Float(scale)
        let values = layers.map { bilinear($0, width, 28, u, v) }
        let best = values.indices.max { values[$0] < values[$1] }!
        if values[best] >= 0.1 { owners[y * width * scale + x] = UInt8(best + 1) }
      }
    }
    return owners
  }

  /// The judge's training pieces are labelled from the composer's owners: in three digits
  /// apart, the whole digits are found in order and the other candidates (a digit cut in
  /// two, runs of two or three) are `none`; the built-in judge calls the whole digits whole
  /// and, on the whole, the rest not.
  @Test func piecesAreLabelledAndJudged() throws {
    let indices = [0, 1, 2], step = 30
    let truth = Self.truth(indices).compactMap(\.wholeNumberValue)
    let pieces = NumberPieces.pieces(
      of: Self.number(indices, step: step), owners: Self.owners(indices, step: step), number: truth)
    #expect(pieces.compactMap(\.digit) == truth)
    let none = pieces.filter { $0.digit == nil }
    #expect(none.count >= 3, "runs of two and three digits at least")
    let judge = try DefaultModel.judge()
    let wholeness = judge.wholeness(pieces.flatMap(\.pixels))
    let whole = zip(pieces, wholeness).filter { $0.0.digit != nil }.map(\.1)
    let rest = zip(pieces, wholeness).filter { $0.0.digit == nil }.map(\.1)
    #expect(whole.allSatisfy { $0 > 0.5 }, "whole digits: \(whole)")
    #expect(rest.reduce(0, +) / Float(rest.count) < 0.3, "the rest: \(rest)")
  }

  /// The reader's choice follows the judge: three 1s apart (one piece of ink each) are read
  /// as three digits, until a judge says the only whole digit is the run of all three (the
  /// third candidate: runs are listed first piece by first piece, shortest first).
  @Test func judgeDecidesTheSplit() {
    let classifier = PredictionTests.classifier()
    let indices = [2, 5, 14]
    let picture = Self.number(indices, step: 30)
    let plain = NumberReader().read(picture) { classifier.probabilities($0) }
    #expect(plain.number == "111")
    let judge = PieceJudge { inputs in
      (0..<(inputs.count / MNISTShape.pixels)).map { $0 == 2 ? 1 : 1e-6 }
    }
    let judged = NumberReader(judge: judge).read(picture) { classifier.probabilities($0) }
    #expect(judged.digits.count == 1, "read \(judged.number)")
  }

  /// A digit is read by the digit network and the judge together: their probabilities are
  /// averaged, so a judge sure of another digit than a hesitant network wins.
  @Test func judgeReadsTheDigitsWithTheNetwork() {
    let picture = Self.number([2, 5, 14], step: 30)
    let network = { (inputs: [Float]) -> [Float] in
      (0..<(inputs.count / MNISTShape.pixels)).flatMap { _ in (0..<10).map { $0 == 3 ? 0.6 : $0 == 8 ? 0.4 : 0 } }
    }
    let judge = PieceJudge { inputs in
      let n = inputs.count / MNISTShape.pixels
      return PieceJudge.Verdict(
        wholeness: [Float](repeating: 0.9, count: n),
        digits: (0..<n).flatMap { _ in (0..<10).map { $0 == 8 ? 0.9 : $0 == 3 ? 0.1 : 0 } })
    }
    let alone = NumberReader(judge: PieceJudge { [Float](repeating: 0.9, count: $0.count / MNISTShape.pixels) })
    #expect(alone.read(picture, classify: network).number == "333")
    let reading = NumberReader(judge: judge).read(picture, classify: network)
    #expect(reading.number == "888" && abs(reading.digits[0].confidence - 0.65) < 1e-5, "\(reading.number)")
  }

  /// Numbers of MNIST test digits placed on one page: each `(indices, x, y)` in MNIST pixels
  /// (digits 22 apart), the page `width` x `height` of them, enlarged 3 times.
  static func page(_ numbers: [(indices: [Int], x: Int, y: Int)], width: Int, height: Int) -> GrayImage {
    var ink = [Float](repeating: 0, count: width * height)
    for number in numbers {
      for (k, index) in number.indices.enumerated() {
        let digit = MNISTSamples.ink(MNISTSamples.test, index)
        for y in 0..<28 {
          for x in 0..<28 {
            let i = (number.y + y) * width + number.x + k * 22 + x
            ink[i] = max(ink[i], digit[y * 28 + x])
          }
        }
      }
    }
    var pixels = [Float](repeating: 1, count: width * 3 * height * 3)
    for y in 0..<(height * 3) {
      for x in 0..<(width * 3) {
        pixels[y * width * 3 + x] = 1 - bilinear(ink, width, height, Float(x) / 3, Float(y) / 3)
      }
    }
    return GrayImage(width: width * 3, height: height * 3, pixels: pixels)
  }

  /// A page with two numbers on one line (three digit widths apart) and one on the next:
  /// three numbers in reading order, each with its own box around its digits, the boxes in
  /// the order and places the numbers have on the page.
  @Test func severalNumbersAreReadInOrder() throws {
    let classifier = PredictionTests.classifier()
    let layout: [(indices: [Int], x: Int, y: Int)] = [([0, 1, 2], 4, 4), ([3, 4], 160, 8), ([5, 6], 20, 64)]
    let picture = Self.page(layout, width: 240, height: 100)
    let reading = NumberReader(judge: try DefaultModel.judge()).read(picture) { classifier.probabilities($0) }
    #expect(reading.numbers.map { reading.number($0) } == layout.map { Self.truth($0.indices) })
    #expect(reading.number == layout.map { Self.truth($0.indices) }.joined(separator: " "))
    guard reading.numbers.count == 3 else { return }
    for number in reading.numbers {
      let box = number.box
      for digit in reading.digits[number.digits] {
        #expect(digit.box.x >= box.x && digit.box.x + digit.box.width <= box.x + box.width)
        #expect(digit.box.y >= box.y && digit.box.y + digit.box.height <= box.y + box.height)
      }
      #expect(number.confidence > 0 && number.confidence <= 1)
    }
    let (first, second, third) = (reading.numbers[0].box, reading.numbers[1].box, reading.numbers[2].box)
    #expect(first.x + first.width < second.x, "the second number is right of the first")
    #expect(max(first.y + first.height, second.y + second.height) < third.y, "the third is below both")
    #expect(abs(reading.confidence - reading.numbers.map(\.confidence).reduce(1, *)) < 1e-6)
  }
}
