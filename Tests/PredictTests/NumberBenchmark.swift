import CPUBackend
import DefaultModel
import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// The number reader's speed bar: a 1,000 x 300 picture of one 6-digit number read in under
/// 20 ms on one core. A benchmark, not a timed test: run it on a quiet machine with
///   DIGITS_BENCHMARK=1 taskset -c 0 swift test -c release --disable-testable-imports --filter NumberBenchmark
/// It prints the median and p90 of 50 readings (preparing, the digit network on one CPU
/// thread, choosing with the built-in judge, another network on one CPU thread, as
/// `digits predict --multi` does), how many inputs each network read, and what was read.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["DIGITS_BENCHMARK"] != nil))
struct NumberBenchmark {
  /// Six MNIST test digits, dark on white, each enlarged 7x (196 px boxes, the ink about
  /// 140 px wide), 148 px apart, on a 1,000 x 300 page.
  static func sixDigitPage() -> (GrayImage, String) {
    var page = GrayImage(width: 1000, height: 300, value: 1)
    let indices = [3, 2, 1, 18, 4, 8]  // test digits 0, 1, 2, 3, 4, 5 (MNIST's first of each)
    let scale = 7, side = 28 * scale
    var left = 32
    var truth = ""
    for index in indices {
      let ink = MNISTSamples.ink(MNISTSamples.test, index)
      truth += String(MNISTSamples.test.labels[index])
      for y in 0..<side {
        for x in 0..<side {
          page[left + x, 52 + y] = min(page[left + x, 52 + y], 1 - ink[(y / scale) * 28 + x / scale])
        }
      }
      left += 148
    }
    return (page, truth)
  }

  /// With the judge (as the command reads) and, for its share of the time, without.
  @Test func sixDigitNumber() throws {
    let (page, truth) = Self.sixDigitPage()
    let classifier = DigitClassifier(model: try DefaultModel.load(), backend: CPUBackend.make(threads: 1))
    for judge in [try DefaultModel.judge(), nil] {
      let reader = PictureReader(judge: judge)
      var inputs = 0
      var answer = ""
      var times: [Double] = []
      for _ in 0..<51 {
        let start = DispatchTime.now().uptimeNanoseconds
        let prepared = reader.prepare(page, multi: true)
        inputs = prepared.count
        let read = prepared.answer(
          probabilities: prepared.inputs.isEmpty ? [] : classifier.probabilities(prepared.inputs),
          minConfidence: classifier.minConfidence)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        if case .number(let reading) = read { answer = reading.number }
      }
      times = Array(times.dropFirst()).sorted()
      print(
        "number \(truth) on a 1000x300 page, \(judge == nil ? "without" : "with") the judge: read \"\(answer)\", "
          + "\(inputs) inputs for each network; median "
          + String(format: "%.2f ms, p90 %.2f ms", times[times.count / 2], times[times.count * 9 / 10]))
      #expect(answer == truth)
    }
  }
}
