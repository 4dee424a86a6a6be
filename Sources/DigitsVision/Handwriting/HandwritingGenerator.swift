import DigitsCore
import Foundation

/// Draws digits from stroke models (`DigitConvention`) the way a person might: random
/// proportions, slant, rotation, smooth warp and pen width, rendered anti-aliased and laid
/// out like MNIST (`MNISTLayout`). Deterministic for a seed. No fonts, no other digit sets.
public struct HandwritingGenerator: Sendable {
  public var style: HandwritingStyle
  /// Canvas height in pixels before the MNIST layout shrinks it (4x MNIST's 20 px box
  /// keeps thin pens anti-aliased rather than lost).
  static let canvasHeight: Float = 80

  public init(style: HandwritingStyle) { self.style = style }

  /// One drawing of `convention`: 784 values, ink 1 on 0.
  public func draw(_ convention: DigitConvention, rng: inout SeededGenerator) -> [Float] {
    var pen = PenPath(rng: SeededGenerator(seed: rng.next()), wobble: style.wobble)
    let strokes = convention.strokes(&pen)
    return render(strokes, rng: &rng)
  }

  /// Shapes the strokes (slant, aspect, rotation, warp), renders them and lays them out.
  func render(_ strokes: [PenStroke], rng: inout SeededGenerator) -> [Float] {
    let slant = rng.uniform(style.slant.lowerBound, style.slant.upperBound)
    let aspect = rng.uniform(style.aspect.lowerBound, style.aspect.upperBound)
    let angle = rng.uniform(-style.maxRotation, style.maxRotation)
    let warp = Warp(amplitude: style.warp, rng: &rng)
    let c = cos(angle), s = sin(angle)
    let shaped = strokes.map { stroke in
      stroke.map { p -> SIMD2<Float> in
        let q = warp(p) - SIMD2(0.5, 0.5)
        let x = (q.x - slant * q.y) * aspect, y = q.y
        return SIMD2(c * x - s * y, s * x + c * y)
      }
    }
    let all = shaped.flatMap { $0 }
    let lo = SIMD2(all.map(\.x).min()!, all.map(\.y).min()!), hi = SIMD2(all.map(\.x).max()!, all.map(\.y).max()!)
    let scale = Self.canvasHeight / max(hi.y - lo.y, 0.3)
    let pen = rng.uniform(style.penWidth.lowerBound, style.penWidth.upperBound) * Self.canvasHeight
    let margin = pen / 2 + 2
    let w = Int(((hi.x - lo.x) * scale + 2 * margin).rounded(.up)),
      h = Int(((hi.y - lo.y) * scale + 2 * margin).rounded(.up))
    let pixels = shaped.map { $0.map { ($0 - lo) * scale + margin } }
    let ink = rng.uniform(style.ink.lowerBound, style.ink.upperBound)
    let crop = PenRaster.render(pixels, pen: pen, ink: ink, width: w, height: h)
    var field = MNISTLayout.field(crop: crop, width: w, height: h)
    // The layout stretches ink to a peak of 1; keep the pen's pressure.
    for i in field.indices { field[i] *= ink }
    return field
  }

  /// `perConvention` drawings of each of `conventions`, interleaved, as 8-bit labelled images.
  public func dataset(_ conventions: [DigitConvention] = DigitConvention.allCases, perConvention: Int, seed: UInt64)
    -> LabeledImages
  {
    let items = (0..<perConvention).flatMap { _ in conventions }
    let images = Self.drawings(count: items.count, seed: seed) { i, rng in draw(items[i], rng: &rng) }
    return LabeledImages(
      images: images, labels: items.map { LabeledImages.Label($0.digit) }, rows: MNISTShape.side,
      columns: MNISTShape.side)
  }

  /// `count` drawings as 8-bit images (ink high on 0), drawing `i` made by `draw(i, &rng)`
  /// from its own seed derived from `seed`: the same images on any number of cores.
  static func drawings(count: Int, seed: UInt64, draw: @Sendable (Int, inout SeededGenerator) -> [Float]) -> [UInt8] {
    var images = [UInt8](repeating: 0, count: count * MNISTShape.pixels)
    var root = SeededGenerator(seed: seed)
    let seeds = (0..<count).map { _ in root.next() }
    let chunks = max(1, min(count, ProcessInfo.processInfo.activeProcessorCount))
    images.withUnsafeMutableBufferPointer { all in
      nonisolated(unsafe) let base = all.baseAddress!  // each chunk writes only its own images
      DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        for i in stride(from: chunk, to: count, by: chunks) {
          var rng = SeededGenerator(seed: seeds[i])
          let field = draw(i, &rng)
          for p in 0..<MNISTShape.pixels {
            base[i * MNISTShape.pixels + p] = UInt8((max(0, min(1, field[p])) * 255).rounded())
          }
        }
      }
    }
    return images
  }
}

/// A smooth random displacement of the unit box (two low-frequency sines per axis), which
/// bends strokes the way a hand does instead of moving points independently.
struct Warp {
  var a: [Float] = [], f: [SIMD2<Float>] = [], phase: [Float] = []

  init(amplitude: Float, rng: inout SeededGenerator) {
    for _ in 0..<4 {
      a.append(rng.uniform(-amplitude, amplitude))
      f.append(SIMD2(rng.uniform(-4, 4), rng.uniform(-4, 4)))
      phase.append(rng.uniform(0, 2 * .pi))
    }
  }

  func callAsFunction(_ p: SIMD2<Float>) -> SIMD2<Float> {
    let dx = a[0] * sin((f[0] * p).sum() + phase[0]) + a[1] * sin((f[1] * p).sum() + phase[1])
    let dy = a[2] * sin((f[2] * p).sum() + phase[2]) + a[3] * sin((f[3] * p).sum() + phase[3])
    return p + SIMD2(dx, dy)
  }
}
