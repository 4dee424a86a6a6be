import DigitsCore
import Foundation

/// The number reader's judge of "one whole digit": a network of the digits plus a `none`
/// class, trained on the candidates the reader itself cuts from composed numbers
/// (`NumberPieces`). The digit network, trained on whole digits only, reads half a digit or
/// two touching digits as some digit with confidence; the judge says how likely a candidate
/// is one whole digit at all, so that halves and pairs lose the reader's choice of split.
/// Safe to share between threads: calls take turns on the one network.
public final class PieceJudge: @unchecked Sendable {
  private let judge: ([Float]) -> [Float]
  private let lock = NSLock()

  /// The judge's classes: the ten digits, then `none`.
  public static let classNames = DatasetKind.mnist.classNames + [NumberPieces.noneName]

  /// nil when `model`'s classes are not `classNames`.
  public init?(model: ModelFile, backend: any Backend) {
    guard model.classNames == Self.classNames else { return nil }
    let classifier = DigitClassifier(model: model, backend: backend)
    let none = MNISTShape.classes, classes = Self.classNames.count
    judge = { inputs in
      let probabilities = classifier.probabilities(inputs)
      return stride(from: none, to: probabilities.count, by: classes).map { 1 - probabilities[$0] }
    }
  }

  /// A judge answering `wholeness` for n * 784 inputs (for tests of the reader's choice).
  public init(wholeness: @escaping ([Float]) -> [Float]) {
    judge = wholeness
  }

  /// For each of the n candidates in `inputs` (n * 784), the probability that it is one
  /// whole digit.
  public func wholeness(_ inputs: [Float]) -> [Float] {
    lock.withLock { judge(inputs) }
  }
}
