import CPUBackend
import DefaultModel
import DigitsCore
import DigitsVision
import Foundation
import Testing

/// Where a prediction request's time goes, stage by stage, for the image a page sends.
/// A benchmark, not a timed test:
///   DIGITS_BENCHMARK=1 swift test -c release --filter ServerStageBenchmark
/// (DIGITS_BENCHMARK_IMAGE=file.png picks the image, default a drawn 7, 280x280;
/// DIGITS_BENCHMARK_STAGE=classify times only the stages whose name starts so, for a profiler.)
@Suite(.enabled(if: ProcessInfo.processInfo.environment["DIGITS_BENCHMARK"] != nil))
struct ServerStageBenchmark {
  static func time(
    _ label: String, repeats: Int = Int(ProcessInfo.processInfo.environment["DIGITS_BENCHMARK_REPEATS"] ?? "300")!,
    per: Int = 1, _ body: () -> Void
  ) {
    if let only = ProcessInfo.processInfo.environment["DIGITS_BENCHMARK_STAGE"], !label.hasPrefix(only) { return }
    body()
    let start = ContinuousClock.now
    for _ in 0..<repeats { body() }
    let each = (ContinuousClock.now - start) / (repeats * per)
    print("\(label): \(Double(each.components.attoseconds) / 1e12) µs")
  }

  @Test func stages() throws {
    let data =
      try ProcessInfo.processInfo.environment["DIGITS_BENCHMARK_IMAGE"].map {
        try Data(contentsOf: URL(fileURLWithPath: $0))
      }
      ?? ServerFixture.drawn[1].png
    let image = try ImageDecoder.decode(data, name: "bench")
    print("image \(image.width)x\(image.height), \(data.count) bytes")
    Self.time("decode") { _ = try! ImageDecoder.decode(data, name: "bench") }
    Self.time("InkMap.focused") { _ = InkMap.focused(image) }
    let prepared = DigitPreprocessor().prepare(image)
    Self.time("prepare (all)") { _ = DigitPreprocessor().prepare(image) }
    let pixels = try #require(prepared.pixels)
    let model = try DefaultModel.load()
    let single = DigitClassifier(model: model, backend: CPUBackend.make(threads: 1))
    Self.time("classify batch 1, 1 thread") { _ = single.probabilities(pixels) }
    let batch = Array(repeating: pixels, count: 32).flatMap { $0 }
    Self.time("classify batch 32, 1 thread, per image", per: 32) { _ = single.probabilities(batch) }
    let both = DigitClassifier(model: model, backend: CPUBackend.make(threads: 2))
    Self.time("classify batch 32, 2 threads, per image", per: 32) { _ = both.probabilities(batch) }
    let p = single.probabilities(pixels)
    Self.time("JSON") { _ = JSONText.numbers(pixels) + JSONText.numbers(p) }
  }
}
