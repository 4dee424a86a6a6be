import Foundation

/// The report's tables and the misclassified grid.
extension HTMLReport {
  func classificationTable() -> String {
    let rows = evaluation.perClass
    var s = "<table id=\"classification-report\" class=\"numbers\"><thead><tr><th>class</th><th>precision</th>"
    s += "<th>recall</th><th>f1-score</th><th>support</th></tr></thead><tbody>"
    for c in rows {
      s +=
        "<tr><th>\(HTML.escape(c.name))</th><td>\(HTML.fixed(c.precision, 4))</td><td>\(HTML.fixed(c.recall, 4))</td>"
      s += "<td>\(HTML.fixed(c.f1, 4))</td><td>\(c.support)</td></tr>"
    }
    let total = rows.reduce(0) { $0 + $1.support }
    let n = Double(max(1, rows.count))
    func macro(_ f: (ClassificationReport.ClassScores) -> Double) -> Double { rows.map(f).reduce(0, +) / n }
    func weighted(_ f: (ClassificationReport.ClassScores) -> Double) -> Double {
      total > 0 ? rows.map { f($0) * Double($0.support) }.reduce(0, +) / Double(total) : 0
    }
    s +=
      "</tbody><tfoot><tr><th>accuracy</th><td></td><td></td><td>\(HTML.fixed(evaluation.accuracy, 4))</td><td>\(total)</td></tr>"
    s += "<tr><th>macro avg</th><td>\(HTML.fixed(macro(\.precision), 4))</td><td>\(HTML.fixed(macro(\.recall), 4))</td>"
    s += "<td>\(HTML.fixed(macro(\.f1), 4))</td><td>\(total)</td></tr>"
    s +=
      "<tr><th>weighted avg</th><td>\(HTML.fixed(weighted(\.precision), 4))</td><td>\(HTML.fixed(weighted(\.recall), 4))</td>"
    s += "<td>\(HTML.fixed(weighted(\.f1), 4))</td><td>\(total)</td></tr></tfoot></table>\n"
    return s
  }

  /// The mix-ups the matrix shows, largest first, as a list that stays readable however
  /// many classes there are.
  func mostConfusedTable(limit: Int = 10) -> String {
    let pairs = evaluation.mostConfused(limit: limit)
    guard !pairs.isEmpty else { return "" }
    let names = model.classNames
    var s = "<h3>Most confused</h3>\n<table id=\"most-confused\" class=\"numbers\"><thead><tr><th>true class</th>"
    s += "<th>predicted</th><th>images</th><th>share of true class</th></tr></thead><tbody>"
    for p in pairs {
      let support = evaluation.perClass[p.trueClass].support
      s += "<tr><th>\(HTML.escape(names[p.trueClass]))</th><td>\(HTML.escape(names[p.predicted]))</td>"
      s += "<td>\(p.count)</td><td>\(HTML.percent(Double(p.count) / Double(max(1, support)), 2))</td></tr>"
    }
    return s + "</tbody></table>\n"
  }

  func misclassifiedGrid() -> String {
    guard !misclassified.isEmpty else {
      return "<div id=\"misclassified\" class=\"grid\"><p class=\"note\">No test image was misclassified.</p></div>\n"
    }
    let names = model.classNames
    var s =
      "<p class=\"note\">The \(misclassified.count) wrong predictions the model was surest of, as stored in the test set. "
    s += "Caption: true class, then the prediction and its probability.</p>\n<div id=\"misclassified\" class=\"grid\">"
    for m in misclassified {
      let uri = PNG.dataURI(m.pixels, width: imageSide, height: imageSide)
      let tip =
        "test image \(m.index): true \(names[m.label]) (p \(HTML.percent(m.labelProbability))), "
        + "predicted \(names[m.predicted]) (p \(HTML.percent(m.confidence)))"
      s += "<figure class=\"digit\" title=\"\(HTML.escape(tip))\" data-index=\"\(m.index)\">"
      s += "<img src=\"\(uri)\" width=\"84\" height=\"84\" alt=\"test image \(m.index)\"/>"
      s += "<figcaption><span class=\"true\">\(HTML.escape(names[m.label]))</span> "
      s += "<span class=\"arrow\">\u{2192}</span> <span class=\"predicted\">\(HTML.escape(names[m.predicted]))</span>"
      s +=
        "<br/><span class=\"confidence\">\(Self.confidence(m.confidence))</span> <span class=\"index\">#\(m.index)</span></figcaption></figure>"
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
    rows.append(("data set", "\(model.datasetName): \(model.classNames.joined(separator: ", "))"))
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
      rows.append(
        (
          "seconds per epoch",
          "\(HTML.fixed(total / Double(seconds.count), 2)) mean, "
            + "\(HTML.fixed(seconds.min()!, 2)) to \(HTML.fixed(seconds.max()!, 2)) (\(HTML.fixed(total, 1)) s in all)"
        ))
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
      ("evaluated on", evaluationBackend),
      (
        "test images",
        "\(evaluation.perClass.reduce(0) { $0 + $1.support })"
          + (dataPath.map { " from \($0)" } ?? "")
      ),
      ("host CPU", Self.hostCPU ?? "-"), ("report by digits", DigitsVersion.current),
      ("report written", Self.timestamp(generated)),
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
}
