import Foundation

/// One self-contained HTML page about a model: loss and accuracy curves from the history in
/// the model file, the confusion matrix as a heat map, the classification report, the most
/// confidently misclassified test images and the facts of the run. Inline SVG and PNG data
/// URIs only: no scripts, no fonts or images from the network.
///
/// Element ids tests and scripts can rely on: `loss-chart`, `accuracy-chart`, `history`,
/// `confusion-matrix`, `classification-report`, `misclassified`, `facts`, and with calibration
/// figures `calibration`, `reliability-diagram`, `ece-before`, `ece-after`.
public struct HTMLReport {
  public var modelPath: String
  public var model: ModelFile
  public var evaluation: ClassificationReport
  public var misclassified: [MisclassifiedImage]
  /// Side of the square test images, for the thumbnails.
  public var imageSide: Int
  /// The backend that ran the evaluation, and where the test images came from.
  public var evaluationBackend: String
  public var dataPath: String?
  public var generated: Date
  /// Reliability diagram and ECE before/after the model's temperature (`calibration` section).
  public var calibration: CalibrationFigures?

  public init(
    modelPath: String, model: ModelFile, evaluation: ClassificationReport, misclassified: [MisclassifiedImage],
    imageSide: Int = MNISTShape.side, evaluationBackend: String, dataPath: String? = nil, generated: Date = Date()
  ) {
    self.modelPath = modelPath
    self.model = model
    self.evaluation = evaluation
    self.misclassified = misclassified
    self.imageSide = imageSide
    self.evaluationBackend = evaluationBackend
    self.dataPath = dataPath
    self.generated = generated
  }

  /// Scores `probabilities` ([count * classes], from `Evaluator.probabilities`) against
  /// `test` and picks the `misclassifiedLimit` most confident mistakes.
  public init(
    modelPath: String, model: ModelFile, test: LabeledImages, probabilities: [Float],
    evaluationBackend: String, dataPath: String? = nil, misclassifiedLimit: Int = 36
  ) {
    let evaluation = ClassificationReport(
      labels: test.labels, probabilities: probabilities, classNames: model.classNames)
    let wrong = MisclassifiedImage.mostConfident(
      test, probabilities: probabilities, limit: misclassifiedLimit)
    self.init(
      modelPath: modelPath, model: model, evaluation: evaluation, misclassified: wrong, imageSide: test.rows,
      evaluationBackend: evaluationBackend, dataPath: dataPath)
    calibration = CalibrationFigures(
      probabilities: probabilities, labels: test.labels, calibration: model.effectiveCalibration)
  }

  /// Writes the page atomically (temp file + rename).
  public func write(to path: String) throws {
    try AtomicFile.write(Data(html().utf8), to: path)
  }

  public func html() -> String {
    let name = (modelPath as NSString).lastPathComponent
    let datasetTitle =
      switch model.dataset {
      case .mnist: "MNIST"
      case .fashion: "Fashion-MNIST"
      case nil: model.datasetName
      }
    let errors = evaluation.confusion.enumerated().reduce(0) { $0 + $1.element.reduce(0, +) - $1.element[$1.offset] }
    let images = evaluation.perClass.reduce(0) { $0 + $1.support }
    var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
    h += "<title>digits report: \(HTML.escape(name))</title>\n<style>\(Self.css)</style>\n</head>\n<body>\n"
    h += "<header><h1>digits report <span class=\"model\">\(HTML.escape(name))</span></h1>"
    h +=
      "<p class=\"sub\">\(datasetTitle) test set, \(images) images, evaluated on \(HTML.escape(evaluationBackend))</p></header>\n"

    h += "<section id=\"summary\" class=\"tiles\">"
    h += tile("test accuracy", HTML.percent(evaluation.accuracy))
    h += tile("test loss", HTML.fixed(evaluation.loss, 4))
    h += tile("misclassified", "\(errors) of \(images)")
    let epochs = model.history.last?.epoch ?? model.history.count
    let meanSeconds =
      model.history.isEmpty ? nil : model.history.map(\.seconds).reduce(0, +) / Double(model.history.count)
    h += tile(
      "epochs", model.history.isEmpty ? "-" : "\(epochs)", detail: meanSeconds.map { "\(HTML.fixed($0, 1)) s each" })
    h += "</section>\n"

    h += "<section><h2>Training</h2>\n<div class=\"charts\">\n\(lossChart().svg())\n\(accuracyChart().svg())\n</div>\n"
    h += historyTable() + "</section>\n"
    h += "<section><h2>Confusion matrix</h2>\n<p class=\"note\">Rows: true class; columns: predicted class. "
    h += "Blue: correct (shade by recall). Red: mistakes (shade by count, relative to the largest).</p>\n"
    h +=
      "<div class=\"scroll\">" + SVGConfusionMatrix(confusion: evaluation.confusion, classNames: model.classNames).svg()
    h += "</div>\n" + mostConfusedTable() + "</section>\n"
    h += "<section><h2>Classification report</h2>\n" + classificationTable() + "</section>\n"
    h += "<section><h2>Most confidently misclassified</h2>\n" + misclassifiedGrid() + "</section>\n"
    if let calibration { h += calibrationSection(calibration) }
    h += "<section><h2>Run</h2>\n" + factsTable() + "</section>\n"
    h +=
      "<footer>digits \(DigitsVersion.current), \(HTML.escape(Self.timestamp(generated)))</footer>\n</body>\n</html>\n"
    return h
  }

  func tile(_ label: String, _ value: String, detail: String? = nil) -> String {
    var s =
      "<div class=\"tile\"><div class=\"label\">\(HTML.escape(label))</div><div class=\"value\">\(HTML.escape(value))</div>"
    if let detail { s += "<div class=\"detail\">\(HTML.escape(detail))</div>" }
    return s + "</div>"
  }

  // MARK: - Curves

  static let trainColor = "#2563eb", validationColor = "#ea580c"

  func lossChart() -> SVGLineChart {
    SVGLineChart(
      id: "loss-chart", title: "Loss (cross-entropy)", x: model.history.map(\.epoch),
      series: [
        .init(name: "training", values: model.history.map(\.loss), color: Self.trainColor),
        .init(name: "validation", values: model.history.map(\.valLoss), color: Self.validationColor, dashed: true),
      ],
      format: { Self.shortNumber($0) }, yFloor: 0)
  }

  func accuracyChart() -> SVGLineChart {
    SVGLineChart(
      id: "accuracy-chart", title: "Accuracy", x: model.history.map(\.epoch),
      series: [
        .init(name: "training", values: model.history.map(\.accuracy), color: Self.trainColor),
        .init(name: "validation", values: model.history.map(\.valAccuracy), color: Self.validationColor, dashed: true),
      ],
      format: { HTML.percent($0, $0 > 0.99 && $0 < 1 ? 2 : 1) }, yCeiling: 1)
  }

  /// Up to four significant digits, no exponent for the values a loss takes.
  static func shortNumber(_ x: Double) -> String {
    if x == 0 { return "0" }
    guard x.isFinite else { return "-" }
    guard abs(x) < 1e15 else { return String(format: "%.3g", x) }
    let decimals = max(0, min(5, 3 - Int(log10(abs(x)).rounded(.down))))
    var s = String(format: "%.\(decimals)f", x)
    if s.contains(".") {
      while s.hasSuffix("0") { s.removeLast() }
      if s.hasSuffix(".") { s.removeLast() }
    }
    return s
  }

  func historyTable() -> String {
    guard !model.history.isEmpty else { return "<p class=\"note\">The model file holds no training history.</p>\n" }
    var s = "<table id=\"history\" class=\"numbers\"><thead><tr><th>epoch</th><th>loss</th><th>accuracy</th>"
    s +=
      "<th>val loss</th><th>val accuracy</th><th>seconds</th><th>images/s</th><th>learning rate</th></tr></thead><tbody>"
    for r in model.history {
      s += "<tr><td>\(r.epoch)</td><td>\(HTML.fixed(r.loss, 4))</td><td>\(HTML.percent(r.accuracy))</td>"
      s +=
        "<td>\(HTML.fixed(r.valLoss, 4))</td><td>\(HTML.percent(r.valAccuracy))</td><td>\(HTML.fixed(r.seconds, 1))</td>"
      s += "<td>\(HTML.fixed(r.imagesPerSecond, 0))</td><td>\(HTML.escape(Self.shortNumber(r.learningRate)))</td></tr>"
    }
    return s + "</tbody></table>\n"
  }
}
