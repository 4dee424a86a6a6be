import Foundation

/// How fast the network itself ran on a batch of inputs (forward pass only: no file reading,
/// decoding or preprocessing), for `evaluate` and `predict`.
struct ForwardRate {
  var images: Int
  var seconds: Double
  var backend: String

  /// "forward pass: 10000 images in 0.52 s, 19230 images/s (cpu (avx512, 2 threads))".
  var line: String {
    let rate = seconds > 0 ? Double(images) / seconds : 0
    return "forward pass: \(images) image\(images == 1 ? "" : "s") in \(String(format: "%.3f", seconds)) s, "
      + "\(Int(rate.rounded())) images/s (\(backend))"
  }
}

extension Duration {
  /// The duration in seconds.
  var seconds: Double {
    let (whole, fraction) = components
    return Double(whole) + Double(fraction) * 1e-18
  }
}
