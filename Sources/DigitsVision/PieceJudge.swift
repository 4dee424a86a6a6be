import DigitsCore
import Foundation

/// The number reader's judge of "one whole digit": a network of the digits plus a `none`
/// class, trained on the candidates the reader itself cuts from composed numbers
/// (`NumberPieces`). The digit network, trained on whole digits only, reads half a digit or
/// two touching digits as some digit with confidence; the judge says how likely a candidate
/// is one whole digit at all, so that halves and pairs lose the reader's choice of split.
/// Having learnt from the reader's own pieces (small, blurred, cut through a neighbour's
/// stroke), it also reads which digit a whole one is (`Verdict.digits`).
/// Safe to share between threads: calls take turns on the one network.
public final class PieceJudge: @unchecked Sendable {
  private let judge: ([Float]) -> Verdict
  private let lock = NSLock()

  /// The judge's classes: the ten digits, then `none`.
  public static let classNames = DatasetKind.mnist.classNames + [NumberPieces.noneName]

  /// What the judge says of n candidates.
  public struct Verdict: Sendable {
    /// For each candidate, the probability that it is one whole digit.
    public let wholeness: [Float]
    /// For each candidate, 10 probabilities of which digit it is if it is a whole one; empty
    /// from a judge that weighs wholeness only.
    public let digits: [Float]

    public init(wholeness: [Float], digits: [Float] = []) {
      self.wholeness = wholeness
      self.digits = digits
    }

    /// The verdicts of candidates `range`.
    public subscript(range: Range<Int>) -> Verdict {
      let classes = MNISTShape.classes
      return Verdict(
        wholeness: Array(wholeness[range]),
        digits: digits.isEmpty ? [] : Array(digits[(range.lowerBound * classes)..<(range.upperBound * classes)]))
    }
  }

  /// nil when `model`'s classes are not `classNames`.
  public init?(model: ModelFile, backend: any Backend) {
    guard model.classNames == Self.classNames else { return nil }
    let classifier = DigitClassifier(model: model, backend: backend)
    let digits = MNISTShape.classes, classes = Self.classNames.count
    judge = { inputs in
      let probabilities = classifier.probabilities(inputs)
      let n = probabilities.count / classes
      var wholeness = [Float](repeating: 0, count: n), reading = [Float](repeating: 0, count: n * digits)
      for k in 0..<n {
        let own = probabilities[(k * classes)..<(k * classes + digits)], whole = own.reduce(0, +)
        wholeness[k] = 1 - probabilities[k * classes + digits]
        for d in 0..<digits { reading[k * digits + d] = whole > 0 ? own[k * classes + d] / whole : 0.1 }
      }
      return Verdict(wholeness: wholeness, digits: reading)
    }
  }

  /// A judge answering `wholeness` for n * 784 inputs (for tests of the reader's choice).
  public init(wholeness: @escaping ([Float]) -> [Float]) {
    judge = { Verdict(wholeness: wholeness($0)) }
  }

  /// A judge answering `verdict` for n * 784 inputs (for tests of the reader's choice).
  public init(verdict: @escaping ([Float]) -> Verdict) {
    judge = verdict
  }

  /// The verdicts on the n candidates in `inputs` (n * 784).
  public func verdict(_ inputs: [Float]) -> Verdict {
    lock.withLock { judge(inputs) }
  }

  /// For each of the n candidates in `inputs` (n * 784), the probability that it is one
  /// whole digit.
  public func wholeness(_ inputs: [Float]) -> [Float] {
    verdict(inputs).wholeness
  }
}
