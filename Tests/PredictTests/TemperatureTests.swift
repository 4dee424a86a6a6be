import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// Temperature scaling, the unsure threshold, ECE, and their place in the model file.
@Suite struct TemperatureTests {
  /// `n` images whose network probabilities are softmax(z) while their labels follow
  /// softmax(z / trueTemperature): a network over-confident by that temperature.
  static func overconfident(n: Int, trueTemperature: Double, seed: UInt64 = 5) -> (
    probabilities: [Float], labels: [LabeledImages.Label]
  ) {
    var rng = SeededGenerator(seed: seed)
    var probabilities: [Float] = [], labels: [LabeledImages.Label] = []
    for _ in 0..<n {
      let z = (0..<MNISTShape.classes).map { _ in Double(rng.uniform(0, 1)) * 12 }
      func softmax(_ t: Double) -> [Double] {
        let e = z.map { exp(($0 - z.max()!) / t) }
        return e.map { $0 / e.reduce(0, +) }
      }
      probabilities += softmax(1).map(Float.init)
      let truth = softmax(trueTemperature)
      var u = Double(rng.uniform(0, 1)), label = 0
      while label < MNISTShape.classes - 1 && u >= truth[label] {
        u -= truth[label]
        label += 1
      }
      labels.append(LabeledImages.Label(label))
    }
    return (probabilities, labels)
  }

  @Test func fitRecoversTheTemperature() {
    let (p, labels) = Self.overconfident(n: 6000, trueTemperature: 2)
    let t = Calibration.fitTemperature(probabilities: p, labels: labels)
    #expect(abs(t - 2) < 0.2, "fitted \(t)")
    // The fitted temperature beats none on the likelihood, and lowers the calibration error.
    #expect(
      Calibration.nll(probabilities: p, labels: labels, temperature: t)
        < Calibration.nll(probabilities: p, labels: labels, temperature: 1))
    let before = Selective.expectedCalibrationError(Selective.answers(probabilities: p, labels: labels))
    let after = Selective.expectedCalibrationError(
      Selective.answers(probabilities: Calibration.apply(p, temperature: t, classes: 10), labels: labels))
    #expect(after < before / 2, "ECE \(before) -> \(after)")
  }

  @Test func temperatureKeepsTheRankingAndSumsToOne() {
    let (p, _) = Self.overconfident(n: 50, trueTemperature: 2)
    let q = Calibration.apply(p, temperature: 3, classes: 10)
    for row in 0..<50 {
      let a = p[(row * 10)..<(row * 10 + 10)], b = q[(row * 10)..<(row * 10 + 10)]
      #expect(DigitClassifier.ranked(a).map(\.index) == DigitClassifier.ranked(b).map(\.index))
      #expect(abs(b.reduce(0, +) - 1) < 1e-5)
      #expect(b.max()! <= a.max()! + 1e-6, "a temperature above 1 softens")
    }
  }

  @Test func thresholdMeetsTheTargetOnItsSet() {
    let (p, labels) = Self.overconfident(n: 6000, trueTemperature: 1)
    let threshold = Calibration.threshold(probabilities: p, labels: labels)
    let answers = Selective.answers(probabilities: p, labels: labels)
    let given = Selective.coverage(answers, minConfidence: threshold)
    #expect(threshold >= Calibration.thresholdFloor && threshold < 1)
    #expect(given.accuracy >= Calibration.thresholdTargetAccuracy, "\(given) at \(threshold)")
    // The lowest such threshold: a little lower misses the target (or hits the floor).
    let lower = Selective.coverage(answers, minConfidence: threshold - 0.01)
    #expect(threshold == Calibration.thresholdFloor || lower.accuracy < Calibration.thresholdTargetAccuracy)
  }

  @Test func answerIsUnsureBelowTheThreshold() {
    let p: [Float] = [0.01, 0.52, 0.01, 0.01, 0.01, 0.01, 0.01, 0.41, 0.005, 0.005]
    #expect(DigitAnswer(p[...], minConfidence: 0.5) == .digit(1, confidence: 0.52))
    #expect(
      DigitAnswer(p[...], minConfidence: 0.9)
        == .unsure(candidates: [.init(digit: 1, confidence: 0.52), .init(digit: 7, confidence: 0.41)]))
    #expect(DigitAnswer(p[...], minConfidence: 0.9).digit == nil)
  }

  @Test func calibrationIsKeptInTheModelFile() throws {
    let dir = TemporaryDirectory()
    let parameters = SeedNetwork.parameterSpecs.map { [Float](repeating: 0.01, count: $0.shape.reduce(1, *)) }
    var model = ModelFile(parameters: parameters, dataset: .mnist)
    #expect(model.effectiveCalibration == .uncalibrated)
    try model.write(to: dir.path + "/old.safetensors")
    #expect(
      try ModelFile.read(path: dir.path + "/old.safetensors").calibration == nil, "files without the key keep working")
    model.calibration = Calibration(temperature: 1.7, threshold: 0.81)
    try model.write(to: dir.path + "/new.safetensors")
    let back = try ModelFile.read(path: dir.path + "/new.safetensors")
    #expect(back.calibration == Calibration(temperature: 1.7, threshold: 0.81))
    #expect(back == model)
    model.calibration = Calibration(temperature: 0, threshold: 0.5)
    try model.write(to: dir.path + "/bad.safetensors")
    #expect(throws: DigitsError.self) { try ModelFile.read(path: dir.path + "/bad.safetensors") }
  }

  @Test func classifierAppliesTheTemperature() throws {
    let parameters: [[Float]] = SeedNetwork.parameterSpecs.map { spec in
      let count = spec.shape.reduce(1, *)
      return (0..<count).map { (i: Int) -> Float in Float((i * 7919) % 13) / 130 - 0.05 }
    }
    var model = ModelFile(parameters: parameters, dataset: .mnist)
    let input = TestData.mnistTest.images.prefix(MNISTShape.pixels).map { Float($0) / 255 }
    let plain = DigitClassifier(model: model, backend: ReferenceBackend()).probabilities(input)
    model.calibration = Calibration(temperature: 2.5, threshold: 0.6)
    let calibrated = DigitClassifier(model: model, backend: ReferenceBackend())
    #expect(calibrated.minConfidence == 0.6)
    let soft = calibrated.probabilities(input)
    let expected = Calibration.apply(plain, temperature: 2.5, classes: 10)
    #expect(zip(soft, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(soft) vs \(expected)")
    #expect(DigitClassifier(model: model, backend: ReferenceBackend(), minConfidence: 0.9).minConfidence == 0.9)
  }
}
