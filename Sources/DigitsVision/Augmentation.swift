import DigitsCore
import Dispatch
import Foundation

private var side: Int { MNISTShape.side }

/// On-the-fly augmentation of 28x28 training digits (ink 1 on 0), so a model trained on
/// MNIST alone copes with the variety of real pictures after preprocessing: a random affine
/// warp (rotation, scale, aspect, slant, shift), stroke thickening or thinning, blur and
/// noise, each with its own probability; some images are then laid out again exactly as
/// `DigitPreprocessor` lays out a photo (fit 20x20, centre of mass), the inference case.
///
/// Deterministic for a seed: each image draws its own generator from the batch's, so the
/// result does not depend on how many threads share the work.
public struct Augmentation: Sendable {
  public var affineProbability: Float = 0.9
  /// Radians, uniform in +-.
  public var maxRotation: Float = 15 * .pi / 180
  public var scale: ClosedRange<Float> = 0.85...1.15
  /// Width / height ratio change, uniform in +- (applied as sqrt to each axis).
  public var maxAspect: Float = 0.15
  /// Horizontal shear (slant), uniform in +-.
  public var maxShear: Float = 0.25
  /// Pixels, uniform in +- on each axis.
  public var maxShift: Float = 2.5
  public var thicknessProbability: Float = 0.3
  public var blurProbability: Float = 0.2
  public var noiseProbability: Float = 0.15
  public var maxNoise: Float = 0.08
  public var relayoutProbability: Float = 0.4
  /// Whether relayout brings strokes near MNIST's width (`MNISTLayout.field`'s `adjustStrokes`).
  public var relayoutAdjustsStrokes = true

  public init() {}

  /// The augmentation of `digits train --recipe best`.
  public static let best = Augmentation()

  /// `best` as an OpenCL device does it (`OpenCLBackend`'s augment.cl), so a `--recipe best`
  /// run keeps the training set on the device: everything but the stroke adjustment of
  /// relayout. That one step measures stroke width and dilates step by step on a 4x
  /// oversampled image (up to 80x80 floats, 25 KB: past the 16 KiB of local memory small GPUs
  /// have), and it only acts on strokes under 3/4 of MNIST's median width; cropping, fitting
  /// and centring, the part that mimics a photo's layout, stay. Its host reference is this
  /// value's `apply(_:count:batchSeed:)`.
  public static let bestOnDevice: Augmentation = {
    var a = Augmentation.best
    a.relayoutAdjustsStrokes = false
    return a
  }()

  /// This augmentation as a device backend's augmented gather takes it; nil when relayout adjusts
  /// strokes, which a device does not do.
  public var device: DeviceAugmentation? {
    if relayoutAdjustsStrokes && relayoutProbability > 0 { return nil }
    return DeviceAugmentation(
      affineProbability: affineProbability, maxRotation: maxRotation, scaleLow: scale.lowerBound,
      scaleHigh: scale.upperBound, maxAspect: maxAspect, maxShear: maxShear, maxShift: maxShift,
      thicknessProbability: thicknessProbability, blurProbability: blurProbability, noiseProbability: noiseProbability,
      maxNoise: maxNoise, relayoutProbability: relayoutProbability, inkThreshold: Self.inkThreshold,
      box: MNISTLayout.box, oversample: MNISTLayout.oversample, centreX: MNISTLayout.centre.x,
      centreY: MNISTLayout.centre.y)
  }

  /// As `TrainingConfig.augment` wants it, drawing as a device backend's augmented gather does: one
  /// batch seed from the epoch's generator (`apply(_:count:batchSeed:)`).
  public var deviceBatchFunction: @Sendable (inout [Float], Int, inout SeededGenerator) -> Void {
    let me = self
    return { pixels, count, rng in me.apply(&pixels, count: count, batchSeed: rng.next()) }
  }

  /// Augments the first `count` images of `pixels` ([count * 784]) in place, image i with the
  /// generator seeded by `DeviceAugmentation.imageSeed(batchSeed:slot: i)`: the host reference
  /// of the device part of `Backend.gather(_:start:pixels:labels:augmentation:rng:)`.
  public func apply(_ pixels: inout [Float], count: Int, batchSeed: UInt64) {
    apply(&pixels, seeds: (0..<count).map { DeviceAugmentation.imageSeed(batchSeed: batchSeed, slot: $0) })
  }

  /// As `TrainingConfig.augment` wants it.
  public var batchFunction: @Sendable (inout [Float], Int, inout SeededGenerator) -> Void {
    let me = self
    return { pixels, count, rng in me.apply(&pixels, count: count, rng: &rng) }
  }

  /// Augments the first `count` images of `pixels` ([count * 784]) in place.
  public func apply(_ pixels: inout [Float], count: Int, rng: inout SeededGenerator) {
    apply(&pixels, seeds: (0..<count).map { _ in rng.next() })
  }

  private func apply(_ pixels: inout [Float], seeds: [UInt64]) {
    let count = seeds.count
    let chunks = min(count, max(1, ProcessInfo.processInfo.activeProcessorCount))
    pixels.withUnsafeMutableBufferPointer { all in
      nonisolated(unsafe) let base = all.baseAddress!  // each chunk writes only its own images
      DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        var image = [Float](repeating: 0, count: side * side)
        for i in stride(from: chunk, to: count, by: chunks) {
          var local = SeededGenerator(seed: seeds[i])
          let slot = UnsafeMutableBufferPointer(start: base + i * side * side, count: side * side)
          for p in 0..<side * side { image[p] = slot[p] }
          augment(&image, rng: &local)
          for p in 0..<side * side { slot[p] = image[p] }
        }
      }
    }
  }

  /// Augments one 28x28 image.
  public func augment(_ image: inout [Float], rng: inout SeededGenerator) {
    if rng.uniform(0, 1) < affineProbability { image = affine(image, rng: &rng) }
    if rng.uniform(0, 1) < thicknessProbability {
      image = Self.morph(image, thicken: rng.uniform(0, 1) < 0.5, strength: rng.uniform(0.3, 1))
    }
    if rng.uniform(0, 1) < relayoutProbability { image = Self.relayout(image, adjustStrokes: relayoutAdjustsStrokes) }
    if rng.uniform(0, 1) < blurProbability { image = Self.blur(image, sigma: rng.uniform(0.4, 0.9)) }
    if rng.uniform(0, 1) < noiseProbability {
      let sigma = rng.uniform(0, maxNoise)
      for i in image.indices { image[i] = min(1, max(0, image[i] + sigma * Self.gaussian(&rng))) }
    }
  }

  /// Inverse-mapped bilinear warp about the field's centre.
  func affine(_ src: [Float], rng: inout SeededGenerator) -> [Float] {
    let angle = rng.uniform(-maxRotation, maxRotation)
    let s = rng.uniform(scale.lowerBound, scale.upperBound)
    let aspect = (1 + rng.uniform(-maxAspect, maxAspect)).squareRoot()
    let shear = rng.uniform(-maxShear, maxShear)
    let tx = rng.uniform(-maxShift, maxShift), ty = rng.uniform(-maxShift, maxShift)
    // Forward map: A = R(angle) * Shear * diag(s*aspect, s/aspect); sample with A^-1.
    let c = cos(angle), sn = sin(angle)
    let sx = s * aspect, sy = s / aspect
    let a00 = c * sx, a01 = c * shear * sy - sn * sy
    let a10 = sn * sx, a11 = sn * shear * sy + c * sy
    let det = a00 * a11 - a01 * a10
    let i00 = a11 / det, i01 = -a01 / det, i10 = -a10 / det, i11 = a00 / det
    let centre = Float(side - 1) / 2
    var out = [Float](repeating: 0, count: side * side)
    for y in 0..<side {
      for x in 0..<side {
        let dx = Float(x) - centre - tx, dy = Float(y) - centre - ty
        let u = i00 * dx + i01 * dy + centre, v = i10 * dx + i11 * dy + centre
        out[y * side + x] = Self.bilinear(src, u, v)
      }
    }
    return out
  }

  static func bilinear(_ img: [Float], _ u: Float, _ v: Float) -> Float {
    let x0 = Int(u.rounded(.down)), y0 = Int(v.rounded(.down))
    let fx = u - Float(x0), fy = v - Float(y0)
    func at(_ x: Int, _ y: Int) -> Float { x < 0 || y < 0 || x >= side || y >= side ? 0 : img[y * side + x] }
    return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy)
      + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy
  }

  /// Grey-level dilation (thicken) or erosion (thin) by a 3x3 cross, blended by `strength`.
  static func morph(_ img: [Float], thicken: Bool, strength: Float) -> [Float] {
    var out = img
    for y in 0..<side {
      for x in 0..<side {
        func at(_ xx: Int, _ yy: Int) -> Float {
          xx < 0 || yy < 0 || xx >= side || yy >= side ? 0 : img[yy * side + xx]
        }
        let a = at(x - 1, y), b = at(x + 1, y), c = at(x, y - 1), d = at(x, y + 1), m0 = img[y * side + x]
        let m = thicken ? max(m0, a, b, c, d) : min(m0, a, b, c, d)
        out[y * side + x] = img[y * side + x] * (1 - strength) + m * strength
      }
    }
    return out
  }

  /// Separable Gaussian blur (radius 2), peak brought back to the original's.
  static func blur(_ img: [Float], sigma: Float) -> [Float] {
    let k = (-2...2).map { exp(-Float($0 * $0) / (2 * sigma * sigma)) }
    let sum = k.reduce(0, +)
    let kernel = k.map { $0 / sum }
    var tmp = [Float](repeating: 0, count: side * side), out = tmp
    for y in 0..<side {
      for x in 0..<side {
        var s: Float = 0
        for t in -2...2 where x + t >= 0 && x + t < side { s += img[y * side + x + t] * kernel[t + 2] }
        tmp[y * side + x] = s
      }
    }
    for y in 0..<side {
      for x in 0..<side {
        var s: Float = 0
        for t in -2...2 where y + t >= 0 && y + t < side { s += tmp[(y + t) * side + x] * kernel[t + 2] }
        out[y * side + x] = s
      }
    }
    let before = img.max() ?? 0, after = out.max() ?? 0
    if after > 0 { for i in out.indices { out[i] = min(1, out[i] * before / after) } }
    return out
  }

  /// Ink above this is the digit's when relayout crops.
  static let inkThreshold: Float = 0.05

  /// Crop to the ink, fit 20x20, centre of mass in 28x28: what a photo goes through.
  static func relayout(_ img: [Float], adjustStrokes: Bool) -> [Float] {
    var x0 = side, x1 = -1, y0 = side, y1 = -1
    for y in 0..<side {
      for x in 0..<side where img[y * side + x] > inkThreshold {
        x0 = min(x0, x)
        x1 = max(x1, x)
        y0 = min(y0, y)
        y1 = max(y1, y)
      }
    }
    guard x1 >= x0 else { return img }
    let w = x1 - x0 + 1, h = y1 - y0 + 1
    var crop = [Float](repeating: 0, count: w * h)
    for y in 0..<h { for x in 0..<w { crop[y * w + x] = img[(y + y0) * side + x + x0] } }
    return MNISTLayout.field(crop: crop, width: w, height: h, adjustStrokes: adjustStrokes)
  }

  /// Standard normal (Box-Muller).
  static func gaussian(_ rng: inout SeededGenerator) -> Float {
    let u1 = max(rng.uniform(0, 1), 1e-7), u2 = rng.uniform(0, 1)
    return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
  }
}
