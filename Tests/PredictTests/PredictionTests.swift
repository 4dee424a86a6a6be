import CPUBackend
import DefaultModel
import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// The built-in model reading pictures made from MNIST test digits (never seen in
/// training): plain, as "photos", and pasted into numbers. A few hundred images each, so
/// the suite runs in a debug build too. DIGITS_PREDICT_MODEL=file swaps in another model
/// (for trying a new one before building it in).
@Suite(.serialized) struct PredictionTests {
  static let model: ModelFile = {
    if let path = ProcessInfo.processInfo.environment["DIGITS_PREDICT_MODEL"] { return try! ModelFile.read(path: path) }
    return try! DefaultModel.load()
  }()

  static func classifier(_ model: ModelFile = model) -> DigitClassifier {
    DigitClassifier(model: model, backend: CPUBackend.make(threads: ProcessInfo.processInfo.activeProcessorCount))
  }

  /// Fraction of `pictures` whose prediction matches `labels` (no digit counts as wrong).
  static func accuracy(_ classifier: DigitClassifier, _ pictures: [GrayImage], _ labels: [Int]) -> Double {
    let prepared = pictures.map { DigitPreprocessor().prepare($0) }
    let inputs = prepared.compactMap(\.pixels).flatMap { $0 }
    let probabilities = classifier.probabilities(inputs)
    var k = 0, right = 0
    for (p, label) in zip(prepared, labels) where p.pixels != nil {
      let row = probabilities[(k * 10)..<(k * 10 + 10)]
      if row.firstIndex(of: row.max()!)! - k * 10 == label { right += 1 }
      k += 1
    }
    return Double(right) / Double(labels.count)
  }

  static func photos(_ indices: [Int], seed: UInt64) -> [GrayImage] {
    var maker = PhotoMaker(seed: seed)
    return indices.map { maker.photo(MNISTSamples.ink(MNISTSamples.test, $0)) }
  }

  /// 300 photos of test digits, shared by the trained-model and random-model tests.
  static let photoIndices = MNISTSamples.spread(300, offset: 11)
  static let photoSet = photos(photoIndices, seed: 1)
  static var photoLabels: [Int] { photoIndices.map { Int(MNISTSamples.test.labels[$0]) } }

  /// Any batch size gives each image the probabilities it gets alone (to rounding), and
  /// the buffers kept stay few: sizes up to the batch size in powers of two.
  @Test func everyBatchSizeKeepsFewBuffers() {
    let classifier = DigitClassifier(model: Self.model, backend: CPUBackend.make(threads: 1), batchSize: 64)
    let images = (0..<70).map { MNISTSamples.ink(MNISTSamples.test, $0) }
    let alone = images.map { classifier.probabilities($0) }
    for n in 1...70 {
      let together = classifier.probabilities(images.prefix(n).flatMap { $0 })
      let worst = largestDifference(together, alone.prefix(n).flatMap { $0 })
      #expect(worst <= 1e-5, "batch of \(n): differs by \(worst)")
    }
    #expect(classifier.network.cachedBatchSizes == [1, 2, 4, 8, 16, 32, 64])
  }

  @Test func mnistTestDigitsThroughPreprocessing() {
    let indices = MNISTSamples.spread(400, offset: 3)
    let pictures = indices.map { MNISTSamples.picture(MNISTSamples.test, $0) }
    let acc = Self.accuracy(Self.classifier(), pictures, indices.map { Int(MNISTSamples.test.labels[$0]) })
    print("MNIST test digits through preprocessing: \(acc * 100)%")
    #expect(acc >= 0.98)
  }

  @Test func syntheticPhotos() {
    let acc = Self.accuracy(Self.classifier(), Self.photoSet, Self.photoLabels)
    print("synthetic photos: \(acc * 100)%")
    #expect(acc >= 0.97)
  }

  /// The same photos through a freshly initialised network: near chance, so the score
  /// above comes from the trained weights.
  @Test func randomModelScoresFarLower() {
    let random = SeedNetwork(backend: CPUBackend.make(threads: 1), seed: 99)
    let model = ModelFile(parameters: random.parameterValues(), dataset: .mnist)
    let acc = Self.accuracy(Self.classifier(model), Self.photoSet, Self.photoLabels)
    print("synthetic photos, random model: \(acc * 100)%")
    #expect(acc < 0.4)
  }

  @Test func multiDigitNumbers() {
    var rng = SeededGenerator(seed: 5)
    var maker = PhotoMaker(seed: 6)
    maker.canvas = 120...200
    let classifier = Self.classifier()
    let reader = NumberReader()
    let strings = 120
    var right = 0, digitsRight = 0, digitsTotal = 0
    var failures: [String] = []
    for s in 0..<strings {
      let length = 2 + Int(rng.next() % 4)
      let indices = (0..<length).map { _ in Int(rng.next() % UInt64(MNISTSamples.test.count)) }
      let truth = indices.map { String(MNISTSamples.test.labels[$0]) }.joined()
      let strip = maker.strip(indices.map { MNISTSamples.ink(MNISTSamples.test, $0) })
      let photo = maker.photo(strip.ink, width: strip.width, height: strip.height, digitHeight: 40...80)
      let reading = reader.read(photo) { classifier.probabilities($0) }
      if reading.number == truth { right += 1 } else { failures.append("#\(s) \(truth) read \(reading.number)") }
      digitsTotal += length
      digitsRight +=
        zip(reading.number, truth).filter { $0 == $1 }.count * (reading.number.count == truth.count ? 1 : 0)
    }
    let acc = Double(right) / Double(strings)
    print(
      "numbers read right: \(acc * 100)% of \(strings); digits \(Double(digitsRight) / Double(digitsTotal) * 100)%; wrong: \(failures.joined(separator: "; "))"
    )
    #expect(acc >= 0.95)
  }
}
