import CPUBackend
import DefaultModel
import DigitsCore
import DigitsServer
import DigitsVision
import Foundation
import Hummingbird
import _HTTPTesting
import _TestSupport

/// The built-in model behind the API, as `digits serve --backend cpu` runs it.
enum ServerFixture {
  static let model = try! DefaultModel.load()
  /// The number reader's judge, as `digits serve` and `digits predict` pass it.
  static let judge = try! DefaultModel.judge()
  static let service = makeService()

  /// A service of its own, for tests that count what it did or change how it is built.
  static func makeService(
    network: (any ServingNetwork)? = nil, maxPixels: Int = PredictionService.defaultMaxPixels,
    fallback: (() throws -> any ServingNetwork)? = nil, log: @escaping @Sendable (String) -> Void = { _ in }
  ) -> PredictionService {
    PredictionService(
      model: model, modelName: DefaultModel.name, classifier: network ?? cpuClassifier(),
      backendDescription: "cpu (1 thread)",
      maxPixels: maxPixels, fallback: fallback, fallbackDescription: "cpu (fallback)", judge: judge, log: log)
  }

  static func cpuClassifier() -> DigitClassifier {
    DigitClassifier(model: model, backend: CPUBackend.make(threads: 1), batchSize: 64)
  }

  /// The server's limits with a request deadline no test runs into (the hang guard): a test
  /// client starved of CPU by the rest of the suite must not be cut off by the server. The
  /// deadline itself is proven with a clock the test controls (`APITests`).
  static var limits: DigitsServer.Limits {
    var limits = DigitsServer.Limits()
    limits.requestTimeout = HangGuard.duration
    return limits
  }

  static func app(limits: DigitsServer.Limits = limits, service: PredictionService = service, boundHost: String? = nil)
    -> some ApplicationProtocol
  {
    Application(router: DigitsServer.router(service: service, limits: limits, boundHost: boundHost))
  }

  static func example(_ name: String) throws -> Data {
    try Data(contentsOf: TestData.packageRoot.appendingPathComponent("docs/examples/\(name)"))
  }

  /// A "1" and a "7" drawn the way the page draws them: black strokes 18 px wide on a white
  /// 280x280 pad.
  static let drawn: [(digit: Int, png: Data)] = [
    (1, StrokeDrawing.png(StrokeDrawing.draw([[(0.5, 0.15), (0.5, 0.85)]], thickness: 18, size: 280))),
    (
      7,
      StrokeDrawing.png(
        StrokeDrawing.draw(
          [[(0.25, 0.2), (0.75, 0.2)], [(0.75, 0.2), (0.42, 0.85)]],
          thickness: 18, size: 280))
    ),
  ]

  static func json(_ response: TestResponse) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
    guard let dictionary = object as? [String: Any] else { throw DigitsError("not a JSON object: \(object)") }
    return dictionary
  }

  static func floats(_ value: Any?) -> [Float]? {
    (value as? [Any])?.compactMap { ($0 as? NSNumber)?.floatValue }
  }
}
