import Foundation

/// A test image the model got wrong, with how sure it was.
public struct MisclassifiedImage: Equatable, Sendable {
  /// Position in the test set.
  public var index: Int
  public var label: Int
  public var predicted: Int
  /// Probability of the predicted class.
  public var confidence: Double
  /// Probability the model gave the true class.
  public var labelProbability: Double
  /// rows * columns bytes as stored (0 = background).
  public var pixels: [UInt8]

  /// The `limit` wrong predictions with the highest confidence, most confident first
  /// (ties by test-set order). `probabilities` is [count * classes].
  public static func mostConfident(
    _ data: LabeledImages, probabilities: [Float], limit: Int = 30
  ) -> [MisclassifiedImage] {
    let classes = Selective.classCount(probabilities, data.labels)
    precondition(probabilities.count == data.count * classes)
    var wrong: [(index: Int, predicted: Int, confidence: Float)] = []
    for i in 0..<data.count {
      let row = probabilities[(i * classes)..<((i + 1) * classes)]
      let best = row.indices.max { row[$0] < row[$1] }! - i * classes
      if best != Int(data.labels[i]) { wrong.append((i, best, row[i * classes + best])) }
    }
    wrong.sort { $0.confidence != $1.confidence ? $0.confidence > $1.confidence : $0.index < $1.index }
    let p = data.pixelsPerImage
    return wrong.prefix(limit).map { w in
      let label = Int(data.labels[w.index])
      return MisclassifiedImage(
        index: w.index, label: label, predicted: w.predicted, confidence: Double(w.confidence),
        labelProbability: Double(probabilities[w.index * classes + label]),
        pixels: Array(data.images[(w.index * p)..<((w.index + 1) * p)]))
    }
  }
}
