import DigitsCore
import DigitsVision
import Foundation

/// Turns MNIST digits into "photos": enlarged, dark ink on lighter paper of random tone,
/// placed off-centre on a larger canvas, lit unevenly, defocused, noisy, and sent through
/// a JPEG round trip. Deterministic for a seed.
struct PhotoMaker {
  var rng: SeededGenerator
  /// Canvas side range in pixels (kept small enough for debug-build tests).
  var canvas: ClosedRange<Int> = 160...300

  init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

  /// A photo of one 28x28 ink image (ink 1 on 0).
  mutating func photo(_ ink: [Float]) -> GrayImage {
    photo(ink, width: 28, height: 28)
  }

  /// A photo of an ink image of any size (e.g. several digits pasted side by side, 28
  /// pixels high). A digit (20 of MNIST's 28 pixels) comes out `digitHeight` pixels tall,
  /// by default 30-60% of the canvas side.
  mutating func photo(_ ink: [Float], width: Int, height: Int, digitHeight: ClosedRange<Float>? = nil) -> GrayImage {
    let side = Int(rng.uniform(Float(canvas.lowerBound), Float(canvas.upperBound + 1)))
    let digit = digitHeight.map { rng.uniform($0.lowerBound, $0.upperBound) } ?? rng.uniform(0.3, 0.6) * Float(side)
    let scale = digit / 20
    let dw = max(1, Int(Float(width) * scale)), dh = max(1, Int(Float(height) * scale))
    let cw = max(side, dw + 16), ch = max(Int(Float(side) * rng.uniform(0.8, 1.2)), dh + 16)
    let ox = Int(rng.uniform(0, Float(cw - dw))), oy = Int(rng.uniform(0, Float(ch - dh)))
    let paper = rng.uniform(0.65, 0.95), inkTone = rng.uniform(0.02, 0.35)
    let gradient = rng.uniform(0, 0.3), angle = rng.uniform(0, 2 * .pi)
    var lum = [Float](repeating: 0, count: cw * ch)
    for y in 0..<ch {
      for x in 0..<cw {
        var v: Float = 0
        let u = (Float(x - ox) + 0.5) / scale - 0.5, t = (Float(y - oy) + 0.5) / scale - 0.5
        if u > -1 && t > -1 && u < Float(width) && t < Float(height) { v = bilinear(ink, width, height, u, t) }
        let light = 1 - gradient * (0.5 + 0.5 * (cos(angle) * Float(x) / Float(cw) + sin(angle) * Float(y) / Float(ch)))
        lum[y * cw + x] = (paper - (paper - inkTone) * v) * light
      }
    }
    lum = gaussianBlur(lum, cw, ch, sigma: rng.uniform(0.5, 2.0))
    let noise = rng.uniform(0.005, 0.04)
    for i in lum.indices { lum[i] = min(1, max(0, lum[i] + noise * gaussian())) }
    let quality = Int(rng.uniform(50, 90))
    let bytes = lum.map { UInt8(($0 * 255).rounded()) }
    let jpeg = ImageEncoders.jpeg(width: cw, height: ch, channels: 1, samples: bytes, quality: quality)
    return try! ImageDecoder.decode(jpeg, name: "synthetic.jpg")
  }

  /// Pastes digits side by side (a house number): each 28x28 frame advanced by a random
  /// step, so neighbouring digits sometimes nearly touch. Ink is combined with max.
  mutating func strip(_ digits: [[Float]], step: ClosedRange<Float> = 18...26) -> (
    ink: [Float], width: Int, height: Int
  ) {
    var offsets: [Int] = [0]
    for _ in 1..<digits.count { offsets.append(offsets.last! + Int(rng.uniform(step.lowerBound, step.upperBound))) }
    let width = offsets.last! + 28, height = 28
    var ink = [Float](repeating: 0, count: width * height)
    for (d, offset) in zip(digits, offsets) {
      let dy = Int(rng.uniform(-2, 3))
      for y in 0..<28 where y + dy >= 0 && y + dy < 28 {
        for x in 0..<28 { ink[(y + dy) * width + offset + x] = max(ink[(y + dy) * width + offset + x], d[y * 28 + x]) }
      }
    }
    return (ink, width, height)
  }

  mutating func gaussian() -> Float {
    let u1 = max(rng.uniform(0, 1), 1e-7), u2 = rng.uniform(0, 1)
    return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
  }
}

func bilinear(_ img: [Float], _ w: Int, _ h: Int, _ u: Float, _ v: Float) -> Float {
  let x0 = Int(u.rounded(.down)), y0 = Int(v.rounded(.down))
  let fx = u - Float(x0), fy = v - Float(y0)
  func at(_ x: Int, _ y: Int) -> Float { x < 0 || y < 0 || x >= w || y >= h ? 0 : img[y * w + x] }
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy)
    + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy
}

func gaussianBlur(_ img: [Float], _ w: Int, _ h: Int, sigma: Float) -> [Float] {
  let r = max(1, Int((3 * sigma).rounded(.up)))
  var k = (-r...r).map { exp(-Float($0 * $0) / (2 * sigma * sigma)) }
  let s = k.reduce(0, +)
  k = k.map { $0 / s }
  var tmp = img, out = img
  for y in 0..<h {
    for x in 0..<w {
      var acc: Float = 0
      for t in -r...r { acc += img[y * w + min(w - 1, max(0, x + t))] * k[t + r] }
      tmp[y * w + x] = acc
    }
  }
  for y in 0..<h {
    for x in 0..<w {
      var acc: Float = 0
      for t in -r...r { acc += tmp[min(h - 1, max(0, y + t)) * w + x] * k[t + r] }
      out[y * w + x] = acc
    }
  }
  return out
}
