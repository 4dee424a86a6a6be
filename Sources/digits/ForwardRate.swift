import Foundation

/// How fast the network itself ran on a batch of inputs (forward pass only: no file reading,
/// decoding or preprocessing), for `evaluate` and `predict`.
struct ForwardRate {
  var images: Int
  var seconds: Double
  var backend: String
  /// Each forward call's time, when the caller measured them (`evaluate --batch-size`).
  var batchSeconds: [Double] = []
  /// The process's CPU time (every thread) over the same span, when measured: on a busy
  /// machine it tells the work from the waiting.
  var cpuSeconds: Double?

  /// "forward pass: 10000 images in 0.52 s, 19230 images/s (cpu (avx512, 2 threads))", then,
  /// with batch times, "; per call of 1 image: median 61 us, p99 75 us".
  var line: String {
    let rate = seconds > 0 ? Double(images) / seconds : 0
    var line =
      "forward pass: \(images) image\(images == 1 ? "" : "s") in \(String(format: "%.3f", seconds)) s, "
      + "\(Int(rate.rounded())) images/s (\(backend))"
    if let cpuSeconds { line += ", \(String(format: "%.3f", cpuSeconds)) s of CPU time" }
    if !batchSeconds.isEmpty {
      let sorted = batchSeconds.sorted(), perCall = (images + sorted.count - 1) / sorted.count
      func microseconds(_ q: Double) -> Int {
        Int((sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))] * 1e6).rounded())
      }
      line +=
        "; per call of \(perCall) image\(perCall == 1 ? "" : "s"): "
        + "median \(microseconds(0.5)) us, p99 \(microseconds(0.99)) us"
    }
    return line
  }
}

/// CPU time this process has used so far, all threads, in seconds.
func processCPUSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

extension Duration {
  /// The duration in seconds.
  var seconds: Double {
    let (whole, fraction) = components
    return Double(whole) + Double(fraction) * 1e-18
  }
}
