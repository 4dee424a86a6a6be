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

  /// One number of a picture: a run of the reading's digits.
  public struct Number: Sendable {
    /// Its digits' positions in `Reading.digits`.
    public let digits: Range<Int>
    /// Box in source-picture pixels around its digits.
    public let box: (x: Int, y: Int, width: Int, height: Int)
    /// How likely it is read exactly, calibrated on validation numbers (`NumberConfidence`):
    /// from its digits' calibrated confidences together times the share of its split into
    /// digits among all the splits the reader weighed (a number whose pieces could as well be
    /// read as one digit more or less is unsure even when each digit is sure), its least sure
    /// digit, the judge's least wholeness, its digit count, its cuts through ink and the ink
    /// no digit holds; halved when the picture holds faint ink the reading leaves out
    /// (`unreadInk`: a pale digit beside dark ones). Without a judge: the digits' confidences
    /// times the split share.
    public let confidence: Float
  }

  public struct Reading: Sendable {
    /// Every number's digits, the numbers in reading order (lines top to bottom, left to
    /// right in a line); empty when the picture holds no digit.
    public let digits: [Digit]
    /// Why `digits` is empty.
    public let note: String?
    /// How likely the whole reading is right: its numbers' confidences together; 0 when
    /// there are no digits.
    public let confidence: Float
    /// Positions of the digits below the unsure threshold, left to right.
    public let unsure: [Int]
    /// The numbers the digits make up, in reading order (one for a picture of one number).
    public let numbers: [Number]

    public init(digits: [Digit], note: String?, confidence: Float = 0, unsure: [Int] = [], numbers: [Number]? = nil) {
      self.digits = digits
      self.note = note
      self.confidence = confidence
      self.unsure = unsure
      self.numbers =
        numbers
        ?? (digits.isEmpty ? [] : [Number(digits: digits.indices, box: Self.box(digits[...]), confidence: confidence)])
    }

    /// The likeliest digits, sure or not; numbers apart by a space.
    public var number: String { numbers.map { self.number($0) }.joined(separator: " ") }
    /// The numbers with `?` for each unsure digit: `3?515`.
    public var text: String { numbers.map { text($0) }.joined(separator: " ") }

    public func number(_ number: Number) -> String { digits[number.digits].map { String($0.digit) }.joined() }
    public func text(_ number: Number) -> String {
      number.digits.map { unsure.contains($0) ? "?" : String(digits[$0].digit) }.joined()
    }

    /// The box around the digits' boxes.
    static func box(_ digits: ArraySlice<Digit>) -> (x: Int, y: Int, width: Int, height: Int) {
      let x0 = digits.map(\.box.x).min()!, y0 = digits.map(\.box.y).min()!
      let x1 = digits.map { $0.box.x + $0.box.width }.max()!, y1 = digits.map { $0.box.y + $0.box.height }.max()!
      return (x0, y0, x1 - x0, y1 - y0)
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

  /// The candidates of a picture that may hold several digits, from its ink map (and maybe
  /// its components), or nil when its ink splits into fewer than two atoms (then it is one
  /// digit).
  func severalCandidates(_ map: InkMap, parts: InkComponents? = nil) -> Candidates? {
    guard case .classify(let candidates) = self.candidates(map, parts: parts), candidates.atoms >= 2 else { return nil }
    return candidates
  }

  /// Every run of up to `maxAtomsPerDigit` adjacent atoms, laid out as network inputs.
  public struct Candidates: Sendable {
    struct Candidate: Sendable {
      let first: Int, last: Int, region: InkRegion, prior: Float
      /// Its left edge is a cut through an ink group (touching digits), not a gap.
      let cutBefore: Bool
    }
    let atoms: Int
    /// The atoms of each number (`Segmentation.numbers`).
    let numbers: [Range<Int>]
    let list: [Candidate]
    let map: InkMap
    /// Whether faint ink that no candidate holds is as tall as half a digit (`unreadInk`).
    let faintInkUnread: Bool
    /// The tallest stroke of ink (above `NumberReader.leftOutInk`) that no candidate holds, in
    /// digit heights: a thin digit that fell apart into specks, a mark at the edge.
    let leftOut: Float
    /// n * 784 network inputs, one per candidate.
    public let inputs: [Float]
    /// How many candidates `inputs` holds.
    public var count: Int { list.count }
  }

  public func candidates(_ image: GrayImage) -> Step {
    guard !image.isEmpty else { return .read(Reading(digits: [], note: "empty image")) }
    return candidates(InkMap.focused(image, options: preprocessor.options.ink))
  }

  /// `candidates` of a picture whose ink map (`InkMap.focused`) is made already, and maybe
  /// its components at the default threshold.
  func candidates(_ map: InkMap, parts known: InkComponents? = nil) -> Step {
    if map.contrast < preprocessor.options.ink.minContrast {
      return .read(Reading(digits: [], note: "no ink found (blank or too faint)"))
    }
    var parts = known ?? InkComponents(map)
    var segmentation = Segmentation(
      parts: parts, map: map, minInk: preprocessor.options.minInkPixels,
      minFraction: preprocessor.options.minDigitFraction)
    let faint = InkComponents(map, threshold: Self.faintInk)
    var unread = Self.unreadInk(faint, parts: parts, segmentation: segmentation)
    if unread {
      let paler = InkComponents(map, threshold: 0.1)
      let again = Segmentation(
        parts: paler, map: map, minInk: preprocessor.options.minInkPixels,
        minFraction: preprocessor.options.minDigitFraction)
      if !again.atoms.isEmpty && !Self.unreadInk(faint, parts: paler, segmentation: again) {
        (parts, segmentation, unread) = (paler, again, false)
      }
    }
    let atoms = segmentation.atoms
    guard !atoms.isEmpty else { return .read(Reading(digits: [], note: "too little ink for a digit")) }

    var list: [Candidates.Candidate] = []
    for number in segmentation.numbers {
      for first in number {
        for last in first..<min(number.upperBound, first + maxAtomsPerDigit) {
          guard let (region, prior) = segmentation.candidate(first...last) else { continue }
          let cutBefore = first > 0 && atoms[first - 1].group == atoms[first].group
          list.append(.init(first: first, last: last, region: region, prior: prior, cutBefore: cutBefore))
        }
      }
    }
    var inputs: [Float] = []
    inputs.reserveCapacity(list.count * MNISTShape.pixels)
    for c in list { inputs += preprocessor.layout(c.region, map: map) }
    let leftOut = Self.unheldInk(
      InkComponents(map, threshold: Self.leftOutInk), parts: parts, segmentation: segmentation)
    return .classify(
      Candidates(
        atoms: atoms.count, numbers: segmentation.numbers, list: list, map: map,
        faintInkUnread: unread, leftOut: leftOut, inputs: inputs))
  }

  /// Ink above this is faint ink for `unreadInk`: near the paper, below any digit's stroke.
  static let faintInk: Float = 0.02

  /// Whether ink that no candidate holds is at least half a digit tall: a connected stroke
  /// of `faint` (the map's components above `faintInk`) with no pixel of the components the
  /// digits are made of. A light or thin digit beside dark ones (a pencil pressed less, a pale scan)
  /// falls apart into specks at the components' threshold and is read as nothing; most
  /// confident wrong readings on the number test sets were numbers missing such a digit.
  static func unreadInk(_ weak: InkComponents, parts: InkComponents, segmentation: Segmentation) -> Bool {
    unheldInk(weak, parts: parts, segmentation: segmentation) >= 0.5
  }

  /// Ink at least this dark that no candidate holds counts against a number's confidence
  /// (`Candidates.leftOut`); at `faintInk` the halo of a blurred digit often joins a left-out
  /// neighbour to the digits. Chosen from 0.02, 0.1, 0.2 and 0.3 on the validation numbers
  /// that fitted `NumberConfidence`.
  static let leftOutInk: Float = 0.3

  /// The tallest connected stroke of `weak` (the map's components above some threshold) with
  /// no pixel of the components the digits are made of, in digit heights; 0 when none.
  static func unheldInk(_ weak: InkComponents, parts: InkComponents, segmentation: Segmentation) -> Float {
    var kept = [Bool](repeating: false, count: parts.components.count + 1)
    for group in segmentation.groups { for c in group.members { kept[c + 1] = true } }
    var holdsDigitInk = [Bool](repeating: false, count: weak.components.count + 1)
    weak.labels.withUnsafeBufferPointer { weakLabels in
      parts.labels.withUnsafeBufferPointer { labels in
        for i in labels.indices where kept[Int(labels[i])] { holdsDigitInk[Int(weakLabels[i])] = true }
      }
    }
    let tallest = weak.components.indices.filter { !holdsDigitInk[$0 + 1] }.map { weak.components[$0].height }.max()
    return Float(tallest ?? 0) / segmentation.digitHeight
  }

  /// The second half of `read`: the split of the atoms into digits with the best score.
  /// No candidate spans two numbers, so one pass over all atoms splits each number on its
  /// own, and the scores at a number's two ends give its own share of the splits.
  /// `verdict`: the judge's on the candidates when the caller asked it already (one judge call
  /// for many pictures); nil: the judge is asked here. A candidate's digit probabilities are
  /// the digit network's averaged with the judge's reading of it as a whole digit: the judge
  /// learnt from pieces like these (small, blurred, cut), the digit network from MNIST's whole
  /// digits, and together they read more numbers exactly than either (docs/PERFORMANCE.md).
  public func choose(
    _ candidates: Candidates, probabilities network: [Float], verdict known: PieceJudge.Verdict? = nil,
    minConfidence: Double = 0
  ) -> Reading {
    let list = candidates.list, inputs = candidates.inputs
    let verdict = known ?? judge?.verdict(inputs)
    let wholeness = verdict?.wholeness
    var probabilities = network
    if let reading = verdict?.digits, !reading.isEmpty {
      for i in probabilities.indices { probabilities[i] = 0.5 * (network[i] + reading[i]) }
    }
    // best[i]: best score of atoms 0..<i; choice[i]: the candidate ending there; total[i]:
    // log of the summed exp(score) of every split of atoms 0..<i.
    var best = [Float](repeating: -.infinity, count: candidates.atoms + 1)
    var total = [Float](repeating: -.infinity, count: candidates.atoms + 1)
    var choice = [Int](repeating: -1, count: candidates.atoms + 1)
    best[0] = 0
    total[0] = 0
    for (k, c) in list.enumerated() where best[c.first] > -.infinity {
      let p = probabilities[(k * MNISTShape.classes)..<((k + 1) * MNISTShape.classes)].max()!
      var own = log(max(p, 1e-6)) + c.prior
      if let wholeness { own += log(max(wholeness[k], 1e-6)) }
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
    let firstAtoms = chosen.reversed().map { list[$0].first }
    var numbers: [Number] = []
    for atoms in candidates.numbers {
      let positions = firstAtoms.indices.filter { atoms.contains(firstAtoms[$0]) }
      guard let first = positions.first, let last = positions.last else { continue }
      let split = exp(
        (best[atoms.upperBound] - best[atoms.lowerBound]) - (total[atoms.upperBound] - total[atoms.lowerBound]))
      let range = first..<(last + 1)
      let product = digits[range].reduce(split) { $0 * $1.confidence }
      var confidence = product
      if let wholeness {
        let mine = chosen.filter { atoms.contains(list[$0].first) }
        confidence = NumberConfidence.confidence(
          product: product, leastDigit: digits[range].map(\.confidence).min()!,
          leastWholeness: mine.map { wholeness[$0] }.min()!, digits: range.count,
          cuts: mine.filter { list[$0].cutBefore }.count, leftOut: candidates.leftOut)
      }
      numbers.append(Number(digits: range, box: Reading.box(digits[range]), confidence: confidence))
    }
    if candidates.faintInkUnread {
      numbers = numbers.map { Number(digits: $0.digits, box: $0.box, confidence: $0.confidence * 0.5) }
    }
    let confidence = numbers.reduce(1) { $0 * $1.confidence }
    let unsure = digits.indices.filter { Double(digits[$0].confidence) < minConfidence }
    return Reading(digits: digits, note: nil, confidence: confidence, unsure: unsure, numbers: numbers)
  }

  /// log(exp(a) + exp(b)) without overflow.
  static func logAdd(_ a: Float, _ b: Float) -> Float {
    let high = max(a, b), low = min(a, b)
    return high == -.infinity ? high : high + log1p(exp(low - high))
  }
}
