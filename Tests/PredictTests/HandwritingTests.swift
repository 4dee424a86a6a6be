import CPUBackend
import DefaultModel
import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// The stroke generator, and the built-in model on the style test set (writing conventions
/// MNIST lacks: flagged and footed 1s, crossed 7s, open 4s, curled 9s, looped 2s) and on
/// MNIST test, with and without its confidence threshold.
@Suite struct HandwritingTests {
  static let model = try! DefaultModel.load()
  static func classifier() -> DigitClassifier {
    DigitClassifier(model: model, backend: CPUBackend.make(threads: 2), batchSize: 500)
  }

  static func pixels(_ set: LabeledImages) -> [Float] { set.images.map { Float($0) / 255 } }

  @Test func generatorIsDeterministicAndLabelled() {
    let generator = HandwritingGenerator(style: .training)
    let a = generator.dataset(perConvention: 3, seed: 11), b = generator.dataset(perConvention: 3, seed: 11)
    let c = generator.dataset(perConvention: 3, seed: 12)
    #expect(a.images == b.images && a.labels == b.labels)
    #expect(a.images != c.images)
    #expect(a.labels == (0..<3).flatMap { _ in DigitConvention.allCases.map { LabeledImages.Label($0.digit) } })
    for i in 0..<a.count {
      let image = a.images[(i * MNISTShape.pixels)..<((i + 1) * MNISTShape.pixels)]
      let ink = image.reduce(0) { $0 + Int($1) } / 255
      #expect(ink > 30 && ink < 300, "drawing \(i): ink \(ink)")
      // Laid out like MNIST: the digit inside the 20x20 box, a blank margin round it.
      let side = MNISTShape.side
      let margin = (0..<side).allSatisfy {
        image[image.startIndex + $0] == 0 && image[image.startIndex + (side - 1) * side + $0] == 0
      }
      #expect(margin, "drawing \(i) touches the field's top or bottom row")
    }
  }

  @Test func trainingMixIsOneSixthGeneratedPlusNonDigitsUnderEveryLabel() {
    let train = TestData.mnistTraining.slice(0..<6000)
    let mixed = GeneratedDigits.mixed(into: train, seed: 42)
    #expect(mixed.images.prefix(train.images.count) == train.images[...])
    let nonDigits = GeneratedDigits.notADigitDrawings(trainingImages: train.count)
    #expect(nonDigits == train.count * GeneratedDigits.notADigitPerHundred / 100 / 3 * 3)
    let digits = mixed.count - nonDigits * MNISTShape.classes
    let share = Double(digits - train.count) / Double(digits)
    #expect(abs(share - GeneratedDigits.trainingShare) < 0.01, "share \(share)")
    // The non-digits: the same drawings once per label, each label equally often.
    let tail = mixed.labels.suffix(nonDigits * MNISTShape.classes)
    #expect((0..<MNISTShape.classes).allSatisfy { d in tail.filter { $0 == d }.count == nonDigits })
    let block = nonDigits / NotADigit.allCases.count * MNISTShape.pixels
    let start = digits * MNISTShape.pixels
    #expect(mixed.images[start..<(start + block)] == mixed.images[(start + block)..<(start + 2 * block)])
    #expect(mixed.count == digits + nonDigits * MNISTShape.classes)
  }

  /// Accuracy of the built-in model on each convention's 200 style-test drawings.
  @Test(arguments: DigitConvention.allCases)
  func builtInModelReadsEachConvention(_ convention: DigitConvention) throws {
    let set = GeneratedDigits.styleTest(convention)
    #expect(set.count == GeneratedDigits.styleTestPerConvention)
    let probabilities = try Self.classifier().classify(Self.pixels(set))
    let answers = Selective.answers(probabilities: probabilities, labels: set.labels)
    let accuracy = Double(answers.filter(\.right).count) / Double(answers.count)
    #expect(accuracy >= 0.98, "\(convention.rawValue): \(accuracy)")
  }

  @Test func builtInModelOnMNISTTest() throws {
    let test = TestData.mnistTest
    let probabilities = try Self.classifier().classify(Self.pixels(test))
    let answers = Selective.answers(probabilities: probabilities, labels: test.labels)
    let accuracy = Double(answers.filter(\.right).count) / Double(answers.count)
    #expect(accuracy >= 0.995, "MNIST test accuracy \(accuracy)")
    let confident = Selective.coverage(answers, minConfidence: 0.95)
    #expect(confident.accuracy >= 0.995 && confident.coverage >= 0.97, "at >= 95%: \(confident)")
  }

  @Test func confidentAnswersOnTheStyleSetAreRight() throws {
    var answers: [Selective.Answer] = []
    let classifier = Self.classifier()
    for convention in DigitConvention.allCases {
      let set = GeneratedDigits.styleTest(convention)
      answers += Selective.answers(probabilities: try classifier.classify(Self.pixels(set)), labels: set.labels)
    }
    let confident = Selective.coverage(answers, minConfidence: 0.95)
    #expect(confident.accuracy >= 0.995 && confident.coverage >= 0.9, "at >= 95%: \(confident)")
  }
}
