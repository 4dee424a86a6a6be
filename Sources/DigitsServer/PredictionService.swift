import DigitsCore
import Foundation
import Synchronization

/// What the server does with a picture: the same decoding, preprocessing and network as
/// `digits predict`, answered as JSON. Safe to call from any number of requests at once:
/// decoding and preprocessing are pure and run on the request's task; the network runs
/// the requests' inputs in shared batches.
public final class PredictionService: Sendable {
  let network: BatchingClassifier
  let classNames: [String]
  let preprocessor = DigitPreprocessor()
  /// Largest picture decoded, in pixels: a 5 MB PNG can hold a gigapixel of blank paper.
  let maxPixels: Int
  /// `GET /api/model`, made once.
  let modelJSON: String
  /// Says which backend computes, for /api/health and the page.
  let backendDescription: String
  private let served = Atomic<Int>(0)
  private let started = ContinuousClock.now

  public init(model: ModelFile, modelName: String, classifier: DigitClassifier, backendDescription: String,
              maxPixels: Int = 40_000_000) {
    network = BatchingClassifier(classifier)
    classNames = model.classNames
    self.maxPixels = maxPixels
    self.backendDescription = backendDescription
    modelJSON = Self.describe(model, name: modelName, backend: backendDescription)
  }

  /// Reads the digit (or with `multi`, the number) in an image file's bytes.
  func predict(_ data: Data, multi: Bool) async throws -> String {
    guard !data.isEmpty else { throw APIError(.badRequest, "empty body: send the image file's bytes") }
    if let size = ImageDecoder.size(of: data), size.width * size.height > maxPixels {
      throw APIError(.contentTooLarge, "image is \(size.width)x\(size.height); the server reads up to "
        + "\(maxPixels / 1_000_000) megapixels, scale it down first")
    }
    let image: GrayImage
    do {
      image = try ImageDecoder.decode(data, name: "request body", maxPixels: maxPixels)
    } catch {
      throw APIError(.badRequest, "\(error)")
    }
    defer { served.add(1, ordering: .relaxed) }
    if multi {
      let reader = NumberReader(preprocessor: preprocessor)
      let reading: NumberReader.Reading
      switch reader.candidates(image) {
      case .read(let done): reading = done
      case .classify(let candidates):
        reading = reader.choose(candidates, probabilities: await network.probabilities(candidates.inputs))
      }
      let digits = reading.digits.map { digitJSON(pixels: $0.pixels, probabilities: $0.probabilities, box: $0.box) }
      return JSONText.object([
        ("number", reading.digits.isEmpty ? "null" : JSONText.string(reading.number)),
        ("digits", JSONText.array(digits)),
        ("note", reading.note.map(JSONText.string) ?? "null"),
      ])
    }
    let prepared = preprocessor.prepare(image)
    guard let pixels = prepared.pixels else {
      return JSONText.object([
        ("digit", "null"), ("label", "null"), ("confidence", "null"), ("probabilities", "null"), ("input28", "null"),
        ("note", JSONText.string(prepared.note ?? "no digit")),
      ])
    }
    let probabilities = await network.probabilities(pixels)
    return digitJSON(pixels: pixels, probabilities: probabilities, box: prepared.box)
  }

  func digitJSON(pixels: [Float], probabilities: [Float], box: (x: Int, y: Int, width: Int, height: Int)?) -> String {
    let best = DigitClassifier.ranked(probabilities[...])[0]
    return JSONText.object([
      ("digit", String(best.index)), ("label", JSONText.string(classNames[best.index])),
      ("confidence", JSONText.number(best.probability)), ("probabilities", JSONText.numbers(probabilities)),
      ("input28", JSONText.numbers(pixels)),
      ("box", box.map { "[\($0.x),\($0.y),\($0.width),\($0.height)]" } ?? "null"),
    ])
  }

  /// `GET /api/health`.
  func healthJSON() -> String {
    let uptime = ContinuousClock.now - started
    let (batches, images) = network.statistics
    return JSONText.object([
      ("status", JSONText.string("ok")), ("backend", JSONText.string(backendDescription)),
      ("predictions", String(served.load(ordering: .relaxed))),
      ("batches", String(batches)), ("mean_batch", JSONText.number(batches == 0 ? 0 : Double(images) / Double(batches))),
      ("uptime_seconds", JSONText.number(Double(uptime.components.seconds))),
    ])
  }

  /// Architecture, size, accuracy and training facts from the model file's metadata.
  static func describe(_ model: ModelFile, name: String, backend: String) -> String {
    let last = model.history.last
    let onTest = model.facts?.validation.hasPrefix("test") == true
    let parameters = model.parameters.reduce(0) { $0 + $1.count }
    return JSONText.object([
      ("name", JSONText.string(name)), ("dataset", JSONText.string(model.dataset.rawValue)),
      ("classes", JSONText.array(model.classNames.map(JSONText.string))),
      ("architecture", ModelFile.architecture), ("input", ModelFile.input), ("parameters", String(parameters)),
      ("test_accuracy", onTest ? last?.valAccuracy.map(JSONText.number) ?? "null" : "null"),
      ("validation_accuracy", onTest ? "null" : last?.valAccuracy.map(JSONText.number) ?? "null"),
      ("epochs", String(model.history.count)),
      ("trained", model.facts.map { JSONText.string($0.date) } ?? "null"),
      ("recipe", model.facts.map { JSONText.string($0.recipe) } ?? "null"),
      ("training_images", model.facts.map { String($0.trainingImages) } ?? "null"),
      ("backend", JSONText.string(backend)),
    ])
  }
}
