import Foundation

/// The report's calibration section: reliability diagram and expected calibration error
/// on the test set, before and after the model's temperature, and what the unsure
/// threshold does (coverage and accuracy of the answers given).
public struct CalibrationFigures: Sendable {
  public var calibration: Calibration
  public var before: [Selective.Answer]
  public var after: [Selective.Answer]

  /// From uncalibrated `probabilities` ([n * classes]) and their true `labels`.
  public init(probabilities: [Float], labels: [LabeledImages.Label], calibration: Calibration) {
    self.calibration = calibration
    let classes = Selective.classCount(probabilities, labels)
    before = Selective.answers(probabilities: probabilities, labels: labels, classes: classes)
    after = Selective.answers(
      probabilities: Calibration.apply(probabilities, temperature: calibration.temperature, classes: classes),
      labels: labels, classes: classes)
  }

  public var eceBefore: Double { Selective.expectedCalibrationError(before) }
  public var eceAfter: Double { Selective.expectedCalibrationError(after) }
}

extension HTMLReport {
  func calibrationSection(_ c: CalibrationFigures) -> String {
    let atThreshold = Selective.coverage(c.after, minConfidence: c.calibration.threshold)
    let at95 = Selective.coverage(c.after, minConfidence: 0.95)
    var h = "<section id=\"calibration\"><h2>Calibration</h2>\n"
    h +=
      "<p class=\"note\">Temperature \(HTML.fixed(c.calibration.temperature, 3)) (fitted on the validation split; 1 = none). "
    h +=
      "Expected calibration error (15 bins) on the test set: <b id=\"ece-before\">\(HTML.percent(c.eceBefore))</b> before, "
    h += "<b id=\"ece-after\">\(HTML.percent(c.eceAfter))</b> after.</p>\n"
    h +=
      "<div class=\"charts\">"
      + ReliabilityDiagram(before: Selective.bins(c.before), after: Selective.bins(c.after)).svg() + "</div>\n"
    h += "<table><thead><tr><th>answers given at</th><th>coverage</th><th>right</th></tr></thead><tbody>\n"
    h +=
      "<tr><td>&ge; \(HTML.fixed(c.calibration.threshold, 3)) (the unsure threshold)</td><td>\(HTML.percent(atThreshold.coverage))</td><td>\(HTML.percent(atThreshold.accuracy))</td></tr>\n"
    h += "<tr><td>&ge; 0.95</td><td>\(HTML.percent(at95.coverage))</td><td>\(HTML.percent(at95.accuracy))</td></tr>\n"
    h += "</tbody></table></section>\n"
    return h
  }
}
