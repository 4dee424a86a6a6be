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
/// wider than tall, and not two pieces with a clear gap between them). So broken strokes
/// are merged and touching digits split where the network agrees.
public struct NumberReader: Sendable {
  public var preprocessor: DigitPreprocessor
  /// Most atoms one digit may be made of.
  public var maxAtomsPerDigit = 4

  public init(preprocessor: DigitPreprocessor = DigitPreprocessor()) { self.preprocessor = preprocessor }

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
    public var number: String { digits.map { String($0.digit) }.joined() }
  }

  /// `classify` maps n*784 inputs to n*10 probabilities (the network, in one batch).
  public func read(_ image: GrayImage, classify: ([Float]) -> [Float]) -> Reading {
    switch candidates(image) {
    case .read(let reading): return reading
    case .classify(let candidates): return choose(candidates, probabilities: classify(candidates.inputs))
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
  public func choose(_ candidates: Candidates, probabilities: [Float]) -> Reading {
    let list = candidates.list, inputs = candidates.inputs
    // best[i]: best score of atoms 0..<i; choice[i]: the candidate ending there.
    var best = [Float](repeating: -.infinity, count: candidates.atoms + 1)
    var choice = [Int](repeating: -1, count: candidates.atoms + 1)
    best[0] = 0
    for (k, c) in list.enumerated() where best[c.first] > -.infinity {
      let p = probabilities[(k * MNISTShape.classes)..<((k + 1) * MNISTShape.classes)].max()!
      let score = best[c.first] + log(max(p, 1e-6)) + c.prior
      if score > best[c.last + 1] {
        best[c.last + 1] = score
        choice[c.last + 1] = k
      }
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
    return Reading(digits: digits, note: digits.isEmpty ? "too little ink for a digit" : nil)
  }
}
