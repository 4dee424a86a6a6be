import Foundation

/// Accuracy, confusion matrix (rows true, columns predicted) and per-class precision,
/// recall, F1 and support: the seed report's classification report.
public struct ClassificationReport: Codable, Equatable, Sendable {
  public struct ClassScores: Codable, Equatable, Sendable {
    public var name: String
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int
  }

  public var accuracy: Double
  public var loss: Double
  public var confusion: [[Int]]
  public var perClass: [ClassScores]

  enum CodingKeys: String, CodingKey {
    case accuracy, loss, confusion
    case perClass = "per_class"
  }

  /// From true labels and class probabilities [count * classes].
  public init(labels: [LabeledImages.Label], probabilities: [Float], classNames: [String]) {
    let k = classNames.count
    precondition(probabilities.count == labels.count * k)
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
    var loss = 0.0
    for (i, label) in labels.enumerated() {
      let row = probabilities[(i * k)..<(i * k + k)]
      let predicted = row.indices.max { row[$0] < row[$1] }! - i * k
      confusion[Int(label)][predicted] += 1
      loss -= log(Double(max(row[i * k + Int(label)], 1e-12)))
    }
    self.confusion = confusion
    self.loss = labels.isEmpty ? 0 : loss / Double(labels.count)
    let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
    accuracy = labels.isEmpty ? 0 : Double(correct) / Double(labels.count)
    perClass = (0..<k).map { c in
      let tp = Double(confusion[c][c])
      let predicted = Double((0..<k).reduce(0) { $0 + confusion[$1][c] })
      let support = confusion[c].reduce(0, +)
      let precision = predicted > 0 ? tp / predicted : 0
      let recall = support > 0 ? tp / Double(support) : 0
      let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
      return ClassScores(name: classNames[c], precision: precision, recall: recall, f1: f1, support: support)
    }
  }

  /// A mix-up: images of class `trueClass` predicted as `predicted`.
  public struct Confusion: Equatable, Sendable {
    public var trueClass: Int
    public var predicted: Int
    public var count: Int
  }

  /// The `limit` largest off-diagonal counts, largest first (ties in row, then column order):
  /// what a matrix of many classes is read for.
  public func mostConfused(limit: Int) -> [Confusion] {
    var all: [Confusion] = []
    for (i, row) in confusion.enumerated() {
      for (j, count) in row.enumerated() where i != j && count > 0 {
        all.append(Confusion(trueClass: i, predicted: j, count: count))
      }
    }
    return Array(all.sorted { $0.count > $1.count }.prefix(limit))
  }

  /// The report as text: accuracy and loss, the per-class table with macro averages, and
  /// the confusion matrix.
  public var text: String {
    func f(_ x: Double) -> String { String(format: "%.4f", x) }
    let width = max(12, perClass.map(\.name.count).max() ?? 0)
    func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
    var lines = [
      "accuracy \(String(format: "%.2f", accuracy * 100))%  loss \(f(loss))  (\(perClass.reduce(0) { $0 + $1.support }) images)",
      "",
    ]
    lines.append(pad("class", width) + pad("precision", 11) + pad("recall", 9) + pad("f1", 9) + pad("support", 9))
    for c in perClass {
      lines.append(
        pad(c.name, width) + pad(f(c.precision), 11) + pad(f(c.recall), 9) + pad(f(c.f1), 9) + pad(String(c.support), 9)
      )
    }
    let n = Double(perClass.count)
    lines.append(
      pad("macro avg", width) + pad(f(perClass.reduce(0) { $0 + $1.precision } / n), 11)
        + pad(f(perClass.reduce(0) { $0 + $1.recall } / n), 9) + pad(f(perClass.reduce(0) { $0 + $1.f1 } / n), 9)
        + pad(String(perClass.reduce(0) { $0 + $1.support }), 9))
    lines += ["", "confusion matrix (rows: true class, columns: predicted)"]
    let cell = max(5, (confusion.flatMap { $0 }.max() ?? 0).description.count + 1)
    lines.append(pad("", 4) + (0..<confusion.count).map { pad(String($0), cell) }.joined())
    for (i, row) in confusion.enumerated() {
      lines.append(pad(String(i), 4) + row.map { pad(String($0), cell) }.joined())
    }
    return lines.joined(separator: "\n")
  }
}
