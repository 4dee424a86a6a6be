import Foundation

/// One self-contained HTML page about a model: loss and accuracy curves from the history in
/// the model file, the confusion matrix as a heat map, the classification report, the most
/// confidently misclassified test images and the facts of the run. Inline SVG and PNG data
/// URIs only: no scripts, no fonts or images from the network.
///
/// Element ids tests and scripts can rely on: `loss-chart`, `accuracy-chart`, `history`,
/// `confusion-matrix`, `classification-report`, `misclassified`, `facts`.
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

  public init(modelPath: String, model: ModelFile, evaluation: ClassificationReport, misclassified: [MisclassifiedImage],
              imageSide: Int = 28, evaluationBackend: String, dataPath: String? = nil, generated: Date = Date()) {
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
  public init(modelPath: String, model: ModelFile, test: LabeledImages, probabilities: [Float],
              evaluationBackend: String, dataPath: String? = nil, misclassifiedLimit: Int = 36) {
    let evaluation = ClassificationReport(labels: test.labels, probabilities: probabilities, classNames: model.classNames)
    let wrong = MisclassifiedImage.mostConfident(
      test, probabilities: probabilities, classes: model.classNames.count, limit: misclassifiedLimit)
    self.init(modelPath: modelPath, model: model, evaluation: evaluation, misclassified: wrong, imageSide: test.rows,
              evaluationBackend: evaluationBackend, dataPath: dataPath)
  }

  /// Writes the page atomically (temp file + rename).
  public func write(to path: String) throws {
    try AtomicFile.write(Data(html().utf8), to: path)
  }

  public func html() -> String {
    let name = (modelPath as NSString).lastPathComponent
    let datasetTitle = model.dataset == .mnist ? "MNIST" : "Fashion-MNIST"
    let errors = evaluation.confusion.enumerated().reduce(0) { $0 + $1.element.reduce(0, +) - $1.element[$1.offset] }
    let images = evaluation.perClass.reduce(0) { $0 + $1.support }
    var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
    h += "<title>digits report: \(HTML.escape(name))</title>\n<style>\(Self.css)</style>\n</head>\n<body>\n"
    h += "<header><h1>digits report <span class=\"model\">\(HTML.escape(name))</span></h1>"
    h += "<p class=\"sub\">\(datasetTitle) test set, \(images) images, evaluated on \(HTML.escape(evaluationBackend))</p></header>\n"

    h += "<section id=\"summary\" class=\"tiles\">"
    h += tile("test accuracy", HTML.percent(evaluation.accuracy))
    h += tile("test loss", HTML.fixed(evaluation.loss, 4))
    h += tile("misclassified", "\(errors) of \(images)")
    let epochs = model.history.last?.epoch ?? model.history.count
    let meanSeconds = model.history.isEmpty ? nil : model.history.map(\.seconds).reduce(0, +) / Double(model.history.count)
    h += tile("epochs", model.history.isEmpty ? "-" : "\(epochs)", detail: meanSeconds.map { "\(HTML.fixed($0, 1)) s each" })
    h += "</section>\n"

    h += "<section><h2>Training</h2>\n<div class=\"charts\">\n\(lossChart().svg())\n\(accuracyChart().svg())\n</div>\n"
    h += historyTable() + "</section>\n"
    h += "<section><h2>Confusion matrix</h2>\n<p class=\"note\">Rows: true class; columns: predicted class. "
    h += "Blue: correct (shade by recall). Red: mistakes (shade by count, relative to the largest).</p>\n"
    h += "<div class=\"scroll\">" + SVGConfusionMatrix(confusion: evaluation.confusion, classNames: model.classNames).svg()
    h += "</div>\n</section>\n"
    h += "<section><h2>Classification report</h2>\n" + classificationTable() + "</section>\n"
    h += "<section><h2>Most confidently misclassified</h2>\n" + misclassifiedGrid() + "</section>\n"
    h += "<section><h2>Run</h2>\n" + factsTable() + "</section>\n"
    h += "<footer>digits \(DigitsVersion.current), \(HTML.escape(Self.timestamp(generated)))</footer>\n</body>\n</html>\n"
    return h
  }

  func tile(_ label: String, _ value: String, detail: String? = nil) -> String {
    var s = "<div class=\"tile\"><div class=\"label\">\(HTML.escape(label))</div><div class=\"value\">\(HTML.escape(value))</div>"
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
    s += "<th>val loss</th><th>val accuracy</th><th>seconds</th><th>images/s</th><th>learning rate</th></tr></thead><tbody>"
    for r in model.history {
      s += "<tr><td>\(r.epoch)</td><td>\(HTML.fixed(r.loss, 4))</td><td>\(HTML.percent(r.accuracy))</td>"
      s += "<td>\(HTML.fixed(r.valLoss, 4))</td><td>\(HTML.percent(r.valAccuracy))</td><td>\(HTML.fixed(r.seconds, 1))</td>"
      s += "<td>\(HTML.fixed(r.imagesPerSecond, 0))</td><td>\(HTML.escape(Self.shortNumber(r.learningRate)))</td></tr>"
    }
    return s + "</tbody></table>\n"
  }

  // MARK: - Tables

  func classificationTable() -> String {
    let rows = evaluation.perClass
    var s = "<table id=\"classification-report\" class=\"numbers\"><thead><tr><th>class</th><th>precision</th>"
    s += "<th>recall</th><th>f1-score</th><th>support</th></tr></thead><tbody>"
    for c in rows {
      s += "<tr><th>\(HTML.escape(c.name))</th><td>\(HTML.fixed(c.precision, 4))</td><td>\(HTML.fixed(c.recall, 4))</td>"
      s += "<td>\(HTML.fixed(c.f1, 4))</td><td>\(c.support)</td></tr>"
    }
    let total = rows.reduce(0) { $0 + $1.support }
    let n = Double(max(1, rows.count))
    func macro(_ f: (ClassificationReport.ClassScores) -> Double) -> Double { rows.map(f).reduce(0, +) / n }
    func weighted(_ f: (ClassificationReport.ClassScores) -> Double) -> Double {
      total > 0 ? rows.map { f($0) * Double($0.support) }.reduce(0, +) / Double(total) : 0
    }
    s += "</tbody><tfoot><tr><th>accuracy</th><td></td><td></td><td>\(HTML.fixed(evaluation.accuracy, 4))</td><td>\(total)</td></tr>"
    s += "<tr><th>macro avg</th><td>\(HTML.fixed(macro(\.precision), 4))</td><td>\(HTML.fixed(macro(\.recall), 4))</td>"
    s += "<td>\(HTML.fixed(macro(\.f1), 4))</td><td>\(total)</td></tr>"
    s += "<tr><th>weighted avg</th><td>\(HTML.fixed(weighted(\.precision), 4))</td><td>\(HTML.fixed(weighted(\.recall), 4))</td>"
    s += "<td>\(HTML.fixed(weighted(\.f1), 4))</td><td>\(total)</td></tr></tfoot></table>\n"
    return s
  }

  func misclassifiedGrid() -> String {
    guard !misclassified.isEmpty else {
      return "<div id=\"misclassified\" class=\"grid\"><p class=\"note\">No test image was misclassified.</p></div>\n"
    }
    let names = model.classNames
    var s = "<p class=\"note\">The \(misclassified.count) wrong predictions the model was surest of, as stored in the test set. "
    s += "Caption: true class, then the prediction and its probability.</p>\n<div id=\"misclassified\" class=\"grid\">"
    for m in misclassified {
      let uri = PNG.dataURI(m.pixels, width: imageSide, height: imageSide)
      let tip = "test image \(m.index): true \(names[m.label]) (p \(HTML.percent(m.labelProbability))), "
        + "predicted \(names[m.predicted]) (p \(HTML.percent(m.confidence)))"
      s += "<figure class=\"digit\" title=\"\(HTML.escape(tip))\" data-index=\"\(m.index)\">"
      s += "<img src=\"\(uri)\" width=\"84\" height=\"84\" alt=\"test image \(m.index)\"/>"
      s += "<figcaption><span class=\"true\">\(HTML.escape(names[m.label]))</span> "
      s += "<span class=\"arrow\">\u{2192}</span> <span class=\"predicted\">\(HTML.escape(names[m.predicted]))</span>"
      s += "<br/><span class=\"confidence\">\(Self.confidence(m.confidence))</span> <span class=\"index\">#\(m.index)</span></figcaption></figure>"
    }
    return s + "</div>\n"
  }

  /// A probability short, never rounded up to a certainty it is not: 0.99996 -> ">99.99%".
  static func confidence(_ p: Double) -> String {
    if p >= 1 { return "100%" }
    if p < 0.999 { return HTML.percent(p, 1) }
    return p < 0.9999 ? HTML.percent((p * 10000).rounded(.down) / 10000) : ">99.99%"
  }

  /// "opencl (NVIDIA H100, 132 compute units, ...)" -> ("opencl", "NVIDIA H100, 132 compute units, ...").
  static func splitBackend(_ name: String) -> (backend: String, device: String?) {
    guard let open = name.range(of: " ("), name.hasSuffix(")") else { return (name, nil) }
    return (String(name[..<open.lowerBound]), String(name[open.upperBound..<name.index(before: name.endIndex)]))
  }

  func factsTable() -> String {
    var rows: [(String, String)] = [("model file", modelPath)]
    rows.append(("data set", "\(model.dataset.rawValue): \(model.classNames.joined(separator: ", "))"))
    if let f = model.facts {
      let (backend, device) = Self.splitBackend(f.backend)
      rows += [("backend", backend), ("device", device ?? "-"), ("trained", f.date)]
    } else {
      rows.append(("training facts", "not recorded in the model file"))
    }
    if !model.history.isEmpty {
      let seconds = model.history.map(\.seconds)
      let total = seconds.reduce(0, +)
      rows.append(("epochs", "\(model.history.last!.epoch)"))
      rows.append(("seconds per epoch", "\(HTML.fixed(total / Double(seconds.count), 2)) mean, "
        + "\(HTML.fixed(seconds.min()!, 2)) to \(HTML.fixed(seconds.max()!, 2)) (\(HTML.fixed(total, 1)) s in all)"))
      let rate = model.history.map(\.imagesPerSecond).reduce(0, +) / Double(model.history.count)
      rows.append(("images per second", HTML.fixed(rate, 0)))
    }
    if let f = model.facts {
      rows += [
        ("seed", String(f.seed)), ("batch size", String(f.batchSize)), ("training images", String(f.trainingImages)),
        ("validation", f.validation), ("recipe", f.recipe), ("trained with digits", f.version),
      ]
    }
    rows += [
      ("evaluated on", evaluationBackend), ("test images", "\(evaluation.perClass.reduce(0) { $0 + $1.support })"
        + (dataPath.map { " from \($0)" } ?? "")),
      ("host CPU", Self.hostCPU ?? "-"), ("report by digits", DigitsVersion.current), ("report written", Self.timestamp(generated)),
    ]
    var s = "<table id=\"facts\" class=\"facts\"><tbody>"
    for (key, value) in rows { s += "<tr><th>\(HTML.escape(key))</th><td>\(HTML.escape(value))</td></tr>" }
    return s + "</tbody></table>\n"
  }

  /// The processor's model name from /proc/cpuinfo (Linux), for the facts table.
  static let hostCPU: String? = {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
          let colon = line.firstIndex(of: ":")
    else { return nil }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
  }()

  static func timestamp(_ date: Date) -> String {
    let f = ISO8601DateFormatter()
    return f.string(from: date)
  }

  static let css = """

    :root { color-scheme: light; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --panel: #f9fafb; }
    * { box-sizing: border-box; }
    body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
      max-width: 1080px; margin: 0 auto; padding: 24px; background: #fff; }
    h1 { font-size: 24px; margin: 0; } h1 .model { color: var(--muted); font-weight: 400; }
    h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
    .sub, .note, footer { color: var(--muted); } .note { margin: 4px 0 12px; }
    footer { margin-top: 40px; font-size: 12px; }
    .tiles { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 18px; }
    .tile { flex: 1 1 180px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
    .tile .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
    .tile .value { font-size: 24px; font-weight: 600; } .tile .detail { color: var(--muted); font-size: 12px; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 16px; }
    svg { font-family: inherit; } svg.chart { width: 100%; height: auto; background: var(--panel); border-radius: 8px; }
    .chart-title { font-size: 14px; font-weight: 600; fill: var(--ink); }
    line.gridline { stroke: var(--line); stroke-width: 1; } .axis { stroke: #9ca3af; stroke-width: 1; }
    .tick, .legend { font-size: 11px; fill: #4b5563; } .axis-label { font-size: 12px; fill: var(--muted); }
    .empty { font-size: 13px; fill: var(--muted); } .count { font-size: 12px; font-variant-numeric: tabular-nums; }
    svg.matrix { max-width: 100%; height: auto; } .scroll { overflow-x: auto; }
    table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 4px 12px; border-bottom: 1px solid var(--line); }
    thead th { text-align: right; color: var(--muted); font-weight: 600; } thead th:first-child { text-align: left; }
    table.numbers td { text-align: right; font-variant-numeric: tabular-nums; } tbody th, tfoot th { text-align: left; font-weight: 500; }
    tfoot th, tfoot td { border-top: 1px solid #9ca3af; }
    table.facts th { text-align: left; color: var(--muted); font-weight: 500; padding-right: 24px; }
    div.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(104px, 1fr)); gap: 10px; }
    figure.digit { margin: 0; padding: 8px 6px 6px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; text-align: center; }
    figure.digit img { display: block; margin: 0 auto 4px; image-rendering: pixelated; border-radius: 3px; }
    figcaption { font-size: 12px; line-height: 1.3; } .true { color: #15803d; font-weight: 600; }
    .predicted { color: #b91c1c; font-weight: 600; } .arrow, .index { color: var(--muted); }

    """
}
