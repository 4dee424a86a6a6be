import DigitsCore
import Foundation
import Testing
import _TestSupport

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The report page parsed as XML (it is written as polyglot HTML5): every section is there
/// by id and holds what it should.
@Suite struct HTMLReportTests {
  static let test: LabeledImages = TestData.mnistTest

  /// Mostly right, 0.9 sure; every 97th image wrong with a confidence that varies.
  static func probabilities(_ data: LabeledImages) -> [Float] {
    var p = [Float](repeating: 0, count: data.count * 10)
    for i in 0..<data.count {
      let label = Int(data.labels[i])
      let wrong = i % 97 == 0
      let top = wrong ? (label + 1 + i % 3) % 10 : label
      let confidence: Float = wrong ? 0.5 + Float(i % 45) / 100 : 0.9
      for c in 0..<10 { p[i * 10 + c] = (1 - confidence) / 9 }
      p[i * 10 + top] = confidence
    }
    return p
  }

  static func model(_ kind: DatasetKind = .mnist, epochs: Int = 3) -> ModelFile {
    let history = (1...max(1, epochs)).map { (e: Int) -> EpochRecord in
      let x = Double(e)
      return EpochRecord(
        epoch: e, loss: 0.3 / x, accuracy: 0.9 + 0.02 * x, valLoss: 0.2 / x, valAccuracy: 0.93 + 0.015 * x,
        seconds: 5 + x / 10, imagesPerSecond: 11000, learningRate: 0.001)
    }
    let facts = TrainingFacts(
      seed: 7, backend: "cpu (2 threads, AVX2)", batchSize: 128, validation: "test set",
      trainingImages: 60000, recipe: "seed", date: "2025-01-02T03:04:05Z")
    let parameters = SeedNetwork.parameterSpecs.map { [Float](repeating: 0, count: $0.shape.reduce(1, *)) }
    return ModelFile(parameters: parameters, dataset: kind, history: epochs == 0 ? [] : history, facts: facts)
  }

  static func document(_ report: HTMLReport) throws -> XMLDocument {
    try XMLDocument(data: Data(report.html().utf8), options: [])
  }

  func element(_ doc: XMLDocument, id: String) throws -> XMLElement {
    let nodes = try doc.nodes(forXPath: "//*[@id='\(id)']")
    #expect(nodes.count == 1, "exactly one element with id \(id)")
    return try #require(nodes.first as? XMLElement, "no element with id \(id)")
  }

  /// Descendants named `name`, whatever their namespace (inline SVG has its own).
  func descendants(_ node: XMLNode, _ name: String) -> [XMLElement] {
    var found: [XMLElement] = []
    for child in node.children ?? [] {
      if let e = child as? XMLElement {
        if e.localName == name { found.append(e) }
        found += descendants(e, name)
      }
    }
    return found
  }

  /// An attribute's value by name (`attribute(forName:)` misses them on SVG elements on Linux).
  func attribute(_ e: XMLElement, _ name: String) -> String? {
    e.attributes?.first { $0.name == name }?.stringValue
  }

  func report(_ model: ModelFile) -> HTMLReport {
    HTMLReport(
      modelPath: "runs/model.safetensors", model: model, test: Self.test,
      probabilities: Self.probabilities(Self.test), evaluationBackend: "reference (Float64)",
      dataPath: TestData.mnistPath)
  }

  @Test func everySectionIsThere() throws {
    let doc = try Self.document(report(Self.model()))

    for id in ["loss-chart", "accuracy-chart"] {
      let chart = try element(doc, id: id)
      #expect(chart.localName == "svg")
      #expect(descendants(chart, "polyline").count == 2, "training and validation lines in \(id)")
      #expect(descendants(chart, "circle").count == 6)
    }
    #expect(descendants(try element(doc, id: "history"), "tr").count == 4)

    let matrix = try element(doc, id: "confusion-matrix")
    #expect(matrix.localName == "svg")
    #expect(descendants(matrix, "rect").count == 100)
    let counts = descendants(matrix, "text").filter { attribute($0, "class") == "count" }
    #expect(counts.count == 100)
    #expect(counts.compactMap { Int($0.stringValue ?? "") }.reduce(0, +) == 10_000)

    let table = try element(doc, id: "classification-report")
    #expect(table.localName == "table")
    let body = try #require(descendants(table, "tbody").first)
    #expect(descendants(body, "tr").count == 10)
    #expect(descendants(table, "th").map { $0.stringValue ?? "" }.contains("macro avg"))

    let grid = try element(doc, id: "misclassified")
    let figures = descendants(grid, "figure")
    let wrong = (0..<Self.test.count).filter { $0 % 97 == 0 }.count
    #expect(figures.count == min(36, wrong))
    for figure in figures {
      let img = try #require(descendants(figure, "img").first)
      #expect(attribute(img, "src")?.hasPrefix("data:image/png;base64,") == true)
      #expect(descendants(figure, "figcaption").first?.stringValue?.contains("\u{2192}") == true)
    }
    // Most confident first: confidence 0.5 + (i % 45) / 100 peaks at i % 45 == 44.
    let first = try #require(figures.first.flatMap { attribute($0, "data-index") }.flatMap { Int($0) })
    #expect(first % 97 == 0 && first % 45 == 44)

    let facts = try element(doc, id: "facts")
    var values: [String: String] = [:]
    for row in descendants(facts, "tr") {
      values[descendants(row, "th").first?.stringValue ?? ""] = descendants(row, "td").first?.stringValue
    }
    #expect(values["backend"] == "cpu")
    #expect(values["device"] == "2 threads, AVX2")
    #expect(values["epochs"] == "3")
    #expect(values["seconds per epoch"]?.hasPrefix("5.20 mean") == true)
    #expect(values["seed"] == "7")
    #expect(values["trained with digits"] == DigitsVersion.current)
    #expect(values["evaluated on"] == "reference (Float64)")
  }

  @Test func selfContained() throws {
    let doc = try Self.document(report(Self.model()))
    #expect(
      try doc.nodes(forXPath: "//*[local-name()='script' or local-name()='link' or local-name()='iframe']").isEmpty)
    for node in try doc.nodes(forXPath: "//@src | //@href") {
      let value = node.stringValue ?? ""
      #expect(value.hasPrefix("data:") || value.hasPrefix("#"), "external reference \(value)")
    }
    #expect(!report(Self.model()).html().contains("url("))
  }

  @Test func fashionClassNames() throws {
    let doc = try Self.document(report(Self.model(.fashion)))
    let names = descendants(try element(doc, id: "classification-report"), "th").map { $0.stringValue ?? "" }
    #expect(names.contains("Ankle boot") && names.contains("T-shirt/top"))
    let labels = descendants(try element(doc, id: "confusion-matrix"), "text").map { $0.stringValue ?? "" }
    #expect(labels.contains("Sneaker"))
    let caption = descendants(try element(doc, id: "misclassified"), "figcaption").first?.stringValue ?? ""
    #expect(DatasetKind.fashion.classNames.contains { caption.contains($0) })
  }

  @Test func noHistoryStillMakesAPage() throws {
    let doc = try Self.document(report(Self.model(epochs: 0)))
    let chart = try element(doc, id: "loss-chart")
    #expect(descendants(chart, "polyline").isEmpty)
    #expect(chart.stringValue?.contains("no history") == true)
    #expect(try doc.nodes(forXPath: "//*[@id='history']").isEmpty)
  }

  /// NaN, infinities and 1e300 in the history (a run that diverged, a hand-edited file)
  /// render without trapping: the points are left out and the chart says how many.
  @Test func wildHistoryValuesAreLeftOutAndCounted() throws {
    var model = Self.model(epochs: 4)
    model.history[0].loss = .nan
    model.history[1].loss = .infinity
    model.history[2].valLoss = -.infinity
    model.history[3].loss = 1e300
    model.history[3].accuracy = .nan
    model.history[1].seconds = 1e300
    model.history[2].learningRate = .infinity
    let doc = try Self.document(report(model))
    let loss = try element(doc, id: "loss-chart")
    #expect(descendants(loss, "circle").count == 8 - 4)
    let notes = descendants(loss, "text").filter { attribute($0, "class") == "empty left-out" }
    #expect(notes.map { $0.stringValue ?? "" } == ["4 values left out: NaN, infinite or beyond ±1e12"])
    let accuracy = try element(doc, id: "accuracy-chart")
    #expect(descendants(accuracy, "circle").count == 7)
    #expect(accuracy.stringValue?.contains("1 value left out") == true)
    #expect(descendants(try element(doc, id: "history"), "tr").count == 5)
    // Every coordinate is a plain number.
    for circle in descendants(loss, "circle") + descendants(accuracy, "circle") {
      #expect(Double(attribute(circle, "cy") ?? "") != nil)
    }
  }

  /// Huge but finite epochs and values everywhere still give a page.
  @Test func extremeFiniteHistory() throws {
    var model = Self.model(epochs: 2)
    model.history[1].epoch = .max
    model.history[0].loss = 1e12
    model.history[1].loss = -1e12
    model.history[0].imagesPerSecond = 1e300
    let html = try report(model).html()
    #expect(html.contains("loss-chart"))
  }

  @Test func writesAtomically() throws {
    let dir = TemporaryDirectory()
    let path = dir.path + "/out/report.html"
    try report(Self.model()).write(to: path)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/out") == ["report.html"])
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.hasPrefix("<!DOCTYPE html>"))
  }
}
