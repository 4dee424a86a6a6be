import DigitsCore
import Foundation

/// Reads a picture holding a number (several digits side by side) left to right.
///
/// Segmentation: connected components of the ink map; specks and marks at the picture's
/// edge dropped; pieces stacked above each other (a broken 5's bar, a 4 drawn in two
/// strokes) grouped; groups wider than a digit cut at the minima of their column ink
/// profile (touching digits). That gives "atoms" left to right. Every run of up to four
/// adjacent atoms is a candidate digit; the classifier scores all candidates in one batch
/// and a dynamic programme picks the split of the atoms into digits with the best total
/// log-confidence plus shape priors (a digit is about as tall as its neighbours, not much
/// wider than tall, and not two pieces with a clear gap between them) plus, with a `judge`,
/// the log-probability that the candidate is one whole digit at all (the digit network
/// reads half a digit or two touching ones as some digit with confidence). So broken
/// strokes are merged and touching digits split where the networks agree.
public struct NumberReader: Sendable {
  public var preprocessor: DigitPreprocessor
  /// Most atoms one digit may be made of.
  public var maxAtomsPerDigit = 4
  /// Says how likely each candidate is one whole digit; nil: the shape priors alone do.
  public var judge: PieceJudge?
  /// Weight of the judge's log-probability in a candidate's score.
  public var judgeWeight: Float = 1

  public init(preprocessor: DigitPreprocessor = DigitPreprocessor(), judge: PieceJudge? = nil) {
    self.preprocessor = preprocessor
    self.judge = judge
  }

  public struct Digit: Sendable {
    /// 784 network inputs (ink 1 on 0).
    public let pixels: [Float]
    /// 10 class probabilities.
    public let probabilities: [Float]
    /// Box in source-picture pixels.
    public let box: (x: Int, y: Int, width: Int, height: Int)
    public var digit: Int { probabilities.indices.max { probabilities[$0] < probabilities[$1] }! }
    public var confidence: Float { probabilities[digit] }
  }

  public struct Reading: Sendable {
    /// Left to right; empty when the picture holds no digit.
    public let digits: [Digit]
    /// Why `digits` is empty.
    public let note: String?
    /// How likely the whole reading is right: its digits' calibrated confidences together,
    /// times the share of the split into digits among all the splits the reader weighed
    /// (a number whose pieces could as well be read as one digit more or less is unsure
    /// even when each digit is sure). 0 when there are no digits.
    public let confidence: Float
    /// Positions of the digits below the unsure threshold, left to right.
    public let unsure: [Int]

    public init(digits: [Digit], note: String?, confidence: Float = 0, unsure: [Int] = []) {
      self.digits = digits
      self.note = note
      self.confidence = confidence
      self.unsure = unsure
    }

    /// The likeliest digits, sure or not.
    public var number: String { digits.map { String($0.digit) }.joined() }
    /// The number with `?` for each unsure digit: `3?515`.
    public var text: String {
      digits.indices.map { unsure.contains($0) ? "?" : String(digits[$0].digit) }.joined()
    }
  }

  /// `classify` maps n*784 inputs to n*10 probabilities (the network, in one batch); a digit
  /// below `minConfidence` is unsure.
  public func read(_ image: GrayImage, minConfidence: Double = 0, classify: ([Float]) -> [Float]) -> Reading {
    switch candidates(image) {
    case .read(let reading): return reading
    case .classify(let candidates):
      return choose(candidates, probabilities: classify(candidates.inputs), minConfidence: minConfidence)
    }
  }

  /// The first half of `read`, for callers whose network answers asynchronously (the
  /// server): the candidate digits to classify, or the reading when there is nothing to.
  public enum Step: Sendable {
    case read(Reading)
    case classify(Candidates)
  }

  /// Whether a single digit's box is wide enough to be several digits side by side (a
  /// digit is rarely wider than tall), so reading it as a number is worth a try.
  public static func mayHoldSeveral(_ box: (x: Int, y: Int, width: Int, height: Int)) -> Bool {
    Float(box.width) > 1.1 * Float(box.height)
  }

  /// The candidates of a picture that may hold several digits, or nil when its ink splits
  /// into fewer than two atoms (then it is one digit).
  public func severalCandidates(_ image: GrayImage) -> Candidates? {
    guard case .classify(let candidates) = self.candidates(image), candidates.atoms >= 2 else { return nil }
    return candidates
  }

  /// Every run of up to `maxAtomsPerDigit` adjacent atoms, laid out as network inputs.
  public struct Candidates: Sendable {
    struct Candidate: Sendable { let first: Int, last: Int, region: InkRegion, prior: Float }
    let atoms: Int
    let list: [Candidate]
    let map: InkMap
    /// n * 784 network inputs, one per candidate.
    public let inputs: [Float]
    /// How many candidates `inputs` holds.
    public var count: Int { list.count }
  }

  public func candidates(_ image: GrayImage) -> Step {
    guard !image.isEmpty else { return .read(Reading(digits: [], note: "empty image")) }
    let map = InkMap.focused(image, options: preprocessor.options.ink)
    if map.contrast < preprocessor.options.ink.minContrast {
      return .read(Reading(digits: [], note: "no ink found (blank or too faint)"))
    }
    let parts = InkComponents(map)
    let segmentation = Segmentation(
      parts: parts, map: map, minInk: preprocessor.options.minInkPixels,
      minFraction: preprocessor.options.minDigitFraction)
    let atoms = segmentation.atoms
    guard !atoms.isEmpty else { return .read(Reading(digits: [], note: "too little ink for a digit")) }

    var list: [Candidates.Candidate] = []
    for first in atoms.indices {
      for last in first..<min(atoms.count, first + maxAtomsPerDigit) {
        guard let (region, prior) = segmentation.candidate(first...last) else { continue }
        list.append(.init(first: first, last: last, region: region, prior: prior))
      }
    }
    var inputs: [Float] = []
    inputs.reserveCapacity(list.count * MNISTShape.pixels)
    for c in list { inputs += preprocessor.layout(c.region, map: map) }
    return .classify(Candidates(atoms: atoms.count, list: list, map: map, inputs: inputs))
  }

  /// The second half of `read`: the split of the atoms into digits with the best score.
  public func choose(_ candidates: Candidates, probabilities: [Float], minConfidence: Double = 0) -> Reading {
    let list = candidates.list, inputs = candidates.inputs
    // best[i]: best score of atoms 0..<i; choice[i]: the candidate ending there; total[i]:
    // log of the summed exp(score) of every split of atoms 0..<i.
    var best = [Float](repeating: -.infinity, count: candidates.atoms + 1)
    var total = [Float](repeating: -.infinity, count: candidates.atoms + 1)
    var choice = [Int](repeating: -1, count: candidates.atoms + 1)
    best[0] = 0
    total[0] = 0
    let wholeness = judge?.wholeness(inputs)
    for (k, c) in list.enumerated() where best[c.first] > -.infinity {
      let p = probabilities[(k * MNISTShape.classes)..<((k + 1) * MNISTShape.classes)].max()!
      var own = log(max(p, 1e-6)) + c.prior
      if let wholeness { own += judgeWeight * log(max(wholeness[k], 1e-6)) }
      let score = best[c.first] + own
      if score > best[c.last + 1] {
        best[c.last + 1] = score
        choice[c.last + 1] = k
      }
      total[c.last + 1] = Self.logAdd(total[c.last + 1], total[c.first] + own)
    }
    var chosen: [Int] = []
    var i = candidates.atoms
    while i > 0 {
      let k = choice[i]
      if k < 0 { break }
      chosen.append(k)
      i = list[k].first
    }
    let digits = chosen.reversed().map { k in
      Digit(
        pixels: Array(inputs[(k * MNISTShape.pixels)..<((k + 1) * MNISTShape.pixels)]),
        probabilities: Array(probabilities[(k * MNISTShape.classes)..<((k + 1) * MNISTShape.classes)]),
        box: list[k].region.sourceBox(in: candidates.map))
    }
    guard !digits.isEmpty else { return Reading(digits: [], note: "too little ink for a digit") }
    let split = exp(best[candidates.atoms] - total[candidates.atoms])
    let confidence = digits.reduce(split) { $0 * $1.confidence }
    let unsure = digits.indices.filter { Double(digits[$0].confidence) < minConfidence }
    return Reading(digits: digits, note: nil, confidence: confidence, unsure: unsure)
  }

  /// log(exp(a) + exp(b)) without overflow.
  static func logAdd(_ a: Float, _ b: Float) -> Float {
    let high = max(a, b), low = min(a, b)
    return high == -.infinity ? high : high + log1p(exp(low - high))
  }
}
