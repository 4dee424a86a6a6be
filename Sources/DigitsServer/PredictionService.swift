import DigitsCore
import DigitsVision
import Foundation
import Synchronization

/// What the server does with a picture: the same decoding, preprocessing and network as
/// `digits predict`, answered as JSON. Safe to call from any number of requests at once:
/// decoding and preprocessing are pure and run on `work`, a pool of their own threads (so
/// they never starve the threads that answer /api/health); the network runs the requests'
/// inputs in shared batches.
public final class PredictionService: Sendable {
  let network: BatchingClassifier
  let classNames: [String]
  let reader: PictureReader
  let work: WorkPool
  /// Largest picture decoded, in pixels: a 5 MB PNG can hold a gigapixel of blank paper.
  let maxPixels: Int
  /// The model answering, for `/api/model` and its unsure threshold; a fine-tune changes it.
  private let answering: Mutex<(model: ModelFile, name: String)>
  /// `--min-confidence`, which overrides every model's own threshold.
  let fixedMinConfidence: Double?
  /// Says which backend computes, for /api/health and the page; after an OpenCL failure,
  /// `fallbackDescription`.
  let backendDescription: String
  let fallbackDescription: String
  private let served = Atomic<Int>(0)
  private let started = ContinuousClock.now

  /// The default `maxPixels`, so one request costs at most ~100 MB: a 6-megapixel 16-bit
  /// RGBA PNG, the costliest kind measured, raised the server's peak resident set by 91 MB
  /// (8-bit RGBA: 45 MB; docs/RELIABILITY.md).
  public static let defaultMaxPixels = 6_000_000

  /// `classifier` runs the batches; when it throws, `fallback` (the CPU backend, described
  /// by `fallbackDescription`) replaces it and `log` gets one line. `decodeThreads` pictures
  /// are decoded at once; `judge` weighs the candidate digits of numbers (`multi`).
  public init(
    model: ModelFile, modelName: String, classifier: any ServingNetwork, backendDescription: String,
    maxPixels: Int = defaultMaxPixels, decodeThreads: Int = ProcessInfo.processInfo.activeProcessorCount,
    fallback: (() throws -> any ServingNetwork)? = nil, fallbackDescription: String = "cpu",
    minConfidence: Double? = nil, judge: PieceJudge? = nil, log: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    fixedMinConfidence = minConfidence
    network = BatchingClassifier(classifier, fallback: fallback, onFailure: log)
    work = WorkPool(width: decodeThreads)
    classNames = model.classNames
    reader = PictureReader(readsDigits: model.hasDigitClasses, layout: model.layout, judge: judge)
    answering = Mutex((model, modelName))
    self.maxPixels = maxPixels
    self.backendDescription = backendDescription
    self.fallbackDescription = fallbackDescription
  }

  /// The backend computing now.
  var backend: String { network.usesFallback ? fallbackDescription : backendDescription }

  /// `GET /api/model`: the model answering now.
  var modelJSON: String {
    let (model, name) = answering.withLock { $0 }
    return Self.describe(model, name: name, backend: backend)
  }

  /// Below this top probability (after the model's temperature) the answer is "unsure".
  var minConfidence: Double {
    fixedMinConfidence ?? answering.withLock { $0.model.effectiveCalibration.threshold }
  }

  /// Answers predictions with `network`, running `model`, from the next batch on (see
  /// `BatchingClassifier.replace`); `/api/model` and the unsure threshold follow.
  public func serve(
    _ network: any ServingNetwork, model: ModelFile, name: String, fallback: (() throws -> any ServingNetwork)?
  ) {
    self.network.replace(with: network, fallback: fallback)
    answering.withLock { $0 = (model, name) }
  }

  /// Reads the digit (or with `multi`, the number) in an image file's bytes: the answer's
  /// JSON and where the time went.
  func predict(_ data: Data, multi: Bool) async throws -> (json: String, timing: PredictionTiming) {
    guard !data.isEmpty else { throw APIError(.badRequest, "empty body: send the image file's bytes") }
    if let size = ImageDecoder.size(of: data), size.width * size.height > maxPixels {
      throw APIError(
        .contentTooLarge,
        "image is \(size.width)x\(size.height); the server reads up to "
          + "\(Self.megapixels(maxPixels)) megapixels, scale it down first")
    }
    if multi, !reader.readsDigits {
      throw APIError(.badRequest, PictureReader.notDigitsProblem(classNames: classNames))
    }
    var timing = PredictionTiming()
    var (prepared, decode, layout) = try await work.run { try self.prepare(data, multi: multi) }
    timing.decode = decode
    timing.layout = layout
    defer { served.add(1, ordering: .relaxed) }
    do {
      let inputs = prepared.inputs
      let clock = ContinuousClock(), asked = clock.now
      var probabilities = inputs.isEmpty ? [] : try await network.probabilities(inputs)
      timing.network = clock.now - asked
      // A wide digit that is not a sure one: its pieces are laid out and read too, as
      // `digits predict` reads them (`PictureReader.sureWhole`).
      if prepared.needsPieces(probabilities) {
        let wide = prepared, started = clock.now
        prepared = try await work.run { wide.withPieces() }
        let pieces = Array(prepared.inputs.dropFirst(MNISTShape.pixels)), piecesAsked = clock.now
        timing.layout += piecesAsked - started
        if !pieces.isEmpty { probabilities += try await network.probabilities(pieces) }
        timing.network += clock.now - piecesAsked
      }
      let answer = prepared.answer(probabilities: probabilities, minConfidence: minConfidence)
      return (answer.json(classNames: classNames), timing)
    } catch is NetworkFailure {
      throw APIError(.internalServerError, "the network failed on this picture; send it again")
    }
  }

  /// Decoding and preprocessing, each timed: pure, CPU-bound, run on `work`.
  func prepare(_ data: Data, multi: Bool) throws -> (PreparedPicture, decode: Duration, layout: Duration) {
    let clock = ContinuousClock(), started = clock.now
    let image: GrayImage
    do {
      image = try ImageDecoder.decode(data, name: "request body", maxPixels: maxPixels)
    } catch {
      throw APIError(.badRequest, "\(error)")
    }
    let decoded = clock.now
    let prepared = reader.prepare(image, multi: multi, deferPieces: true)
    return (prepared, decoded - started, clock.now - decoded)
  }

  static func megapixels(_ pixels: Int) -> String {
    pixels % 1_000_000 == 0 ? String(pixels / 1_000_000) : String(format: "%.1f", Double(pixels) / 1e6)
  }

  /// `GET /api/health`; `inFlight`: predictions being answered now.
  func healthJSON(inFlight: Int) -> String {
    let uptime = ContinuousClock.now - started
    let (batches, images) = network.statistics
    return JSONText.object([
      ("status", JSONText.string("ok")), ("backend", JSONText.string(backend)),
      ("predictions", String(served.load(ordering: .relaxed))), ("in_flight", String(inFlight)),
      ("batches", String(batches)),
      ("mean_batch", JSONText.number(batches == 0 ? 0 : Double(images) / Double(batches))),
      ("uptime_seconds", JSONText.number(Double(uptime.components.seconds))),
    ])
  }

  /// Architecture, size, accuracy and training facts from the model file's metadata.
  static func describe(_ model: ModelFile, name: String, backend: String) -> String {
    let last = model.history.last
    let onTest = model.facts?.validation.hasPrefix("test") == true
    let parameters = model.parameters.reduce(0) { $0 + $1.count }
    return JSONText.object([
      ("name", JSONText.string(name)), ("dataset", JSONText.string(model.datasetName)),
      ("classes", JSONText.array(model.classNames.map(JSONText.string))),
      ("architecture", ModelFile.architecture(classes: model.classes)), ("input", ModelFile.input),
      ("parameters", String(parameters)),
      ("test_accuracy", onTest ? last?.valAccuracy.map(JSONText.number) ?? "null" : "null"),
      ("validation_accuracy", onTest ? "null" : last?.valAccuracy.map(JSONText.number) ?? "null"),
      ("epochs", String(model.history.count)),
      ("trained", model.facts.map { JSONText.string($0.date) } ?? "null"),
      ("recipe", model.facts.map { JSONText.string($0.recipe) } ?? "null"),
      ("training_images", model.facts.map { String($0.trainingImages) } ?? "null"),
      ("temperature", JSONText.number(model.effectiveCalibration.temperature)),
      ("threshold", JSONText.number(model.effectiveCalibration.threshold)),
      ("backend", JSONText.string(backend)),
    ])
  }
}

/// Where one prediction's time went, sent as the answer's `Server-Timing` header (W3C Server
/// Timing, milliseconds) so a client or Benchmarks/Serve/split sees the server's own split
/// without a profiler: decoding the file, finding and laying out the digit, and the network
/// (waiting for a shared batch, then its forward pass).
struct PredictionTiming: Sendable {
  var decode = Duration.zero
  var layout = Duration.zero
  var network = Duration.zero

  var header: String {
    func ms(_ d: Duration) -> String {
      let c = d.components
      return String(format: "%.3f", Double(c.seconds) * 1e3 + Double(c.attoseconds) * 1e-15)
    }
    return "decode;dur=\(ms(decode)), layout;dur=\(ms(layout)), network;dur=\(ms(network))"
  }
}
