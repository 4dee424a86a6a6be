import DigitsCore

/// A model on a backend, answering class probabilities for preprocessed 28x28 inputs in
/// batches. Not thread-safe (the network owns device buffers): one caller at a time.
public final class DigitClassifier {
  public let network: SeedNetwork
  public let classNames: [String]
  /// How pictures become the network's 28x28 inputs, as the model was trained.
  public let layout: ModelFile.Layout
  public let batchSize: Int
  /// The model's temperature (1 for files without calibration), applied to every answer.
  public let temperature: Double
  /// Below this top probability the answer is "unsure": the model's threshold, or
  /// `--min-confidence`.
  public var minConfidence: Double

  public init(model: ModelFile, backend: any Backend, batchSize: Int? = nil, minConfidence: Double? = nil) {
    network = SeedNetwork(backend: backend, values: model.parameters)
    classNames = model.classNames
    layout = model.layout
    self.batchSize = max(1, batchSize ?? backend.inferenceBatchSize)
    temperature = model.effectiveCalibration.temperature
    self.minConfidence = minConfidence ?? model.effectiveCalibration.threshold
  }

  /// `inputs` holds n * 784 values (ink 1 on 0); returns n * classes probabilities, calibrated
  /// by the model's temperature.
  ///
  /// Runs `batchSize` images at a time and the rest in power-of-two pieces (13 = 8 + 4 + 1):
  /// the network keeps a set of activation buffers per batch size it has seen (320 KB an
  /// image), and a server meeting every size from 1 to 64 would otherwise hold 64 sets,
  /// 400 MB, where it now holds at most 7.
  public func probabilities(_ inputs: [Float]) -> [Float] {
    precondition(inputs.count % MNISTShape.pixels == 0)
    let n = inputs.count / MNISTShape.pixels
    guard n > 0 else { return [] }
    var out: [Float] = []
    out.reserveCapacity(n * network.classes)
    inputs.withUnsafeBufferPointer { all in
      var start = 0
      while start < n {
        let left = n - start
        let count = left >= batchSize ? batchSize : 1 << (Int.bitWidth - 1 - left.leadingZeroBitCount)
        out += network.probabilities(
          pixels: UnsafeBufferPointer(
            rebasing: all[(start * MNISTShape.pixels)..<((start + count) * MNISTShape.pixels)]))
        start += count
      }
    }
    return Calibration.apply(out, temperature: temperature, classes: network.classes)
  }

  /// `probabilities`, unless the backend faulted while computing them (an OpenCL failure):
  /// then the fault is thrown, never the zeros a faulted device gives back.
  public func classify(_ inputs: [Float]) throws -> [Float] {
    let out = probabilities(inputs)
    try network.backend.throwIfFaulted()
    return out
  }

  /// The answer for one image's (calibrated) probabilities at this classifier's threshold.
  public func answer(_ probabilities: ArraySlice<Float>) -> DigitAnswer {
    DigitAnswer(probabilities, minConfidence: minConfidence)
  }

  /// Class indices sorted by probability, best first, with their probabilities.
  public static func ranked(_ probabilities: ArraySlice<Float>) -> [(index: Int, probability: Float)] {
    probabilities.enumerated().map { ($0.offset, $0.element) }.sorted { $0.1 > $1.1 }
  }
}

/// A digit, or "unsure" with the two likeliest digits when the top probability is below
/// the threshold: a wrong answer at high confidence is worse than "not sure".
public enum DigitAnswer: Equatable, Sendable {
  case digit(Int, confidence: Float)
  case unsure(candidates: [Candidate])

  public struct Candidate: Equatable, Sendable {
    public let digit: Int
    public let confidence: Float
    public init(digit: Int, confidence: Float) {
      self.digit = digit
      self.confidence = confidence
    }
  }

  public init(_ probabilities: ArraySlice<Float>, minConfidence: Double) {
    let ranked = DigitClassifier.ranked(probabilities)
    if Double(ranked[0].probability) >= minConfidence {
      self = .digit(ranked[0].index, confidence: ranked[0].probability)
    } else {
      self = .unsure(candidates: ranked.prefix(2).map { Candidate(digit: $0.index, confidence: $0.probability) })
    }
  }

  /// The digit, or nil when unsure.
  public var digit: Int? { if case .digit(let d, _) = self { return d } else { return nil } }
}
