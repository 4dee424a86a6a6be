import Foundation

/// Temperature scaling and the unsure threshold, fitted on the validation split after
/// training and stored in the model file (metadata "calibration").
///
/// The network's probabilities are p = softmax(z); calibrated ones are softmax(z / T). As
/// log p = z - logsumexp(z), softmax(log p / T) is the same thing, so calibration needs only
/// the probabilities the network already gives: p_i^(1/T) / sum_j p_j^(1/T).
public struct Calibration: Codable, Equatable, Sendable {
  /// T > 1 softens an over-confident network, T < 1 sharpens an under-confident one.
  public var temperature: Double
  /// Top probability (after temperature) below which the answer is "unsure".
  public var threshold: Double

  public init(temperature: Double, threshold: Double) {
    self.temperature = temperature
    self.threshold = threshold
  }

  /// What a model file without the key gets: the network's own probabilities, always an
  /// answer (as before calibration existed).
  public static let uncalibrated = Calibration(temperature: 1, threshold: 0)

  /// Answers on the validation split given at or above the threshold must be at least this
  /// share right. Stricter than the 99.5% promised at >= 95% confidence, for a margin on
  /// pictures unlike the validation digits.
  public static let thresholdTargetAccuracy = 0.998
  /// The threshold never goes below this: under it, two digits can share the top.
  public static let thresholdFloor = 0.5
  public static let temperatureRange: ClosedRange<Double> = 0.2...10

  /// Temperature and threshold fitted to `probabilities` ([n * classes], uncalibrated) of images
  /// whose true classes are `labels`.
  public static func fit(probabilities: [Float], labels: [LabeledImages.Label]) -> Calibration {
    let classes = Selective.classCount(probabilities, labels)
    let t = fitTemperature(probabilities: probabilities, labels: labels, classes: classes)
    let calibrated = apply(probabilities, temperature: t, classes: classes)
    return Calibration(
      temperature: t, threshold: threshold(probabilities: calibrated, labels: labels, classes: classes))
  }

  /// The temperature of least mean negative log-likelihood: golden-section search on log T
  /// (the NLL is convex in 1/T, so unimodal on the searched range).
  public static func fitTemperature(probabilities: [Float], labels: [LabeledImages.Label], classes: Int? = nil)
    -> Double
  {
    let classes = classes ?? Selective.classCount(probabilities, labels)
    var lo = log(temperatureRange.lowerBound), hi = log(temperatureRange.upperBound)
    let g = (5.0.squareRoot() - 1) / 2
    func f(_ logT: Double) -> Double {
      nll(probabilities: probabilities, labels: labels, temperature: exp(logT), classes: classes)
    }
    var a = hi - g * (hi - lo), b = lo + g * (hi - lo)
    var fa = f(a), fb = f(b)
    for _ in 0..<50 {
      if fa < fb {
        hi = b
        b = a
        fb = fa
        a = hi - g * (hi - lo)
        fa = f(a)
      } else {
        lo = a
        a = b
        fa = fb
        b = lo + g * (hi - lo)
        fb = f(b)
      }
    }
    return exp((lo + hi) / 2)
  }

  /// Mean -log p(true class) after temperature `temperature`.
  public static func nll(
    probabilities: [Float], labels: [LabeledImages.Label], temperature: Double, classes: Int? = nil
  ) -> Double {
    let classes = classes ?? Selective.classCount(probabilities, labels)
    var total = 0.0
    for (i, label) in labels.enumerated() {
      let logits = (0..<classes).map { log(max(Double(probabilities[i * classes + $0]), 1e-30)) / temperature }
      let top = logits.max()!
      let lse = top + log(logits.reduce(0) { $0 + exp($1 - top) })
      total += lse - logits[Int(label)]
    }
    return total / Double(max(1, labels.count))
  }

  /// Probabilities ([n * classes]) after temperature `temperature`.
  public static func apply(_ probabilities: [Float], temperature: Double, classes: Int) -> [Float] {
    if temperature == 1 { return probabilities }
    var out = probabilities
    for row in 0..<(probabilities.count / classes) {
      let logits = (0..<classes).map { log(max(Double(probabilities[row * classes + $0]), 1e-30)) / temperature }
      let top = logits.max()!
      let e = logits.map { exp($0 - top) }
      let sum = e.reduce(0, +)
      for c in 0..<classes { out[row * classes + c] = Float(e[c] / sum) }
    }
    return out
  }

  /// This calibration's probabilities for one or more rows of `classes`.
  public func apply(_ probabilities: [Float], classes: Int) -> [Float] {
    Self.apply(probabilities, temperature: temperature, classes: classes)
  }

  /// The lowest confidence c such that the answers at >= c (calibrated `probabilities`) are
  /// at least `thresholdTargetAccuracy` right, never below `thresholdFloor`: walk the answers
  /// from most to least confident and stop where the running accuracy last meets the target.
  public static func threshold(probabilities: [Float], labels: [LabeledImages.Label], classes: Int? = nil) -> Double {
    let answers = Selective.answers(probabilities: probabilities, labels: labels, classes: classes)
      .sorted { $0.confidence > $1.confidence }
    var right = 0, chosen = 1.0
    for (k, a) in answers.enumerated() {
      if a.right { right += 1 }
      let nextSame = k + 1 < answers.count && answers[k + 1].confidence == a.confidence
      if !nextSame, Double(right) / Double(k + 1) >= thresholdTargetAccuracy { chosen = a.confidence }
    }
    return max(thresholdFloor, chosen)
  }
}

/// Answers with their confidence: coverage and accuracy above a confidence, and calibration
/// error (ECE) over confidence bins.
public enum Selective {
  public struct Answer: Sendable {
    public var confidence: Double
    public var right: Bool
  }

  /// The classes of rows of `probabilities`, one row a label (1 when there are none, so
  /// loops over the rows still see a row width).
  public static func classCount(_ probabilities: [Float], _ labels: [LabeledImages.Label]) -> Int {
    if labels.isEmpty { return 1 }
    precondition(probabilities.count % labels.count == 0, "probabilities are not rows of labels")
    return max(1, probabilities.count / labels.count)
  }

  public static func answers(probabilities: [Float], labels: [LabeledImages.Label], classes: Int? = nil) -> [Answer] {
    let classes = classes ?? classCount(probabilities, labels)
    return labels.indices.map { i in
      let row = probabilities[(i * classes)..<((i + 1) * classes)]
      let top = row.indices.max { row[$0] < row[$1] }!
      return Answer(confidence: Double(row[top]), right: top - i * classes == Int(labels[i]))
    }
  }

  /// Share of answers with confidence >= `minConfidence` (coverage) and the share of those right.
  public static func coverage(_ answers: [Answer], minConfidence: Double) -> (coverage: Double, accuracy: Double) {
    let given = answers.filter { $0.confidence >= minConfidence }
    let right = given.filter(\.right).count
    return (
      Double(given.count) / Double(max(1, answers.count)), given.isEmpty ? 1 : Double(right) / Double(given.count)
    )
  }

  public struct Bin: Sendable, Equatable {
    public var lower: Double, upper: Double, count: Int, confidence: Double, accuracy: Double
  }

  /// `count` equal-width confidence bins over 0...1: how many answers fall in each, their
  /// mean confidence and accuracy (the reliability diagram's points).
  public static func bins(_ answers: [Answer], count: Int = 10) -> [Bin] {
    var n = [Int](repeating: 0, count: count), conf = [Double](repeating: 0, count: count), acc = conf
    for a in answers {
      let b = min(count - 1, Int(a.confidence * Double(count)))
      n[b] += 1
      conf[b] += a.confidence
      acc[b] += a.right ? 1 : 0
    }
    return (0..<count).map { b in
      Bin(
        lower: Double(b) / Double(count), upper: Double(b + 1) / Double(count), count: n[b],
        confidence: n[b] > 0 ? conf[b] / Double(n[b]) : 0, accuracy: n[b] > 0 ? acc[b] / Double(n[b]) : 0)
    }
  }

  /// Expected calibration error: sum over bins of (share of answers) * |accuracy - confidence|.
  public static func expectedCalibrationError(_ answers: [Answer], bins count: Int = 15) -> Double {
    let total = Double(max(1, answers.count))
    return bins(answers, count: count).reduce(0) { $0 + Double($1.count) / total * abs($1.accuracy - $1.confidence) }
  }
}
