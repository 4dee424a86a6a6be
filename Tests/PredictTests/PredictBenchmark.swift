import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// The issue's bar: 1,000 image files of 300x300 px predicted in under 2 s on the CPU
/// backend. A benchmark, not a timed test: run it on a quiet machine with
///   DIGITS_BENCHMARK=1 swift test -c release --filter PredictBenchmark
/// It prints the wall time of `digits predict --backend cpu DIR` (best of three) for
/// PNG and for JPEG files made from MNIST test digits.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["DIGITS_BENCHMARK"] != nil))
struct PredictBenchmark {
  @Test(arguments: ["png", "jpg"])
  func thousandFiles(format: String) throws {
    let dir = TemporaryDirectory()
    let keep = ProcessInfo.processInfo.environment["DIGITS_BENCHMARK_KEEP"]  // copy the files there, for profiling
    var maker = PhotoMaker(seed: 77)
    maker.canvas = 300...300
    for i in 0..<1000 {
      var photo = maker.photo(MNISTSamples.ink(MNISTSamples.test, i))
      if photo.width != 300 || photo.height != 300 {  // PhotoMaker varies the height: crop or pad to 300x300
        var square = GrayImage(width: 300, height: 300, value: photo.pixels[0])
        for y in 0..<min(300, photo.height) { for x in 0..<min(300, photo.width) { square[x, y] = photo[x, y] } }
        photo = square
      }
      let data =
        format == "png"
        ? PNG.grayscale(photo.bytes, width: 300, height: 300)
        : ImageEncoders.jpeg(width: 300, height: 300, channels: 1, samples: photo.bytes, quality: 85)
      try data.write(to: URL(fileURLWithPath: dir.path + String(format: "/%04d.", i) + format))
    }
    if let keep { try? FileManager.default.copyItem(atPath: dir.path, toPath: keep + "/" + format) }
    var best = Double.infinity
    for _ in 0..<3 {
      let start = DispatchTime.now().uptimeNanoseconds
      let r = try CLIRunner.run(["predict", "--backend", "cpu", "--json", dir.path])
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      #expect(r.status == 0)
      #expect(r.stdout.split(separator: "\n").count == 1000)
      best = min(best, seconds)
    }
    let right = try CLIRunner.run(["predict", "--backend", "cpu", "--json", dir.path]).stdout.split(separator: "\n")
      .enumerated()
      .filter { i, line in line.contains("\"digit\":\(MNISTSamples.test.labels[i]),") }.count
    print(
      "predict 1000 \(format) files of 300x300: best of 3 \(String(format: "%.2f", best)) s (\(ProcessInfo.processInfo.activeProcessorCount) cores); \(right / 10)% right"
    )
  }
}
