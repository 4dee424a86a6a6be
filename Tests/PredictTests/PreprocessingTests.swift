import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// Invariants of `DigitPreprocessor` on synthetic pictures: the same digit shifted,
/// scaled, inverted, padded, lit unevenly or made noisy gives the same 28x28 input.
@Suite struct PreprocessingTests {
  /// Draws an ink image (ink 1 on 0) `scale` times larger at (x, y) on a canvas, dark ink
  /// `inkTone` on paper `paper`, or light ink on dark paper when `inverted`.
  static func render(
    _ ink: [Float], _ w: Int = 28, _ h: Int = 28, scale: Float, canvas: (Int, Int), at: (Int, Int),
    paper: Float = 0.9, inkTone: Float = 0.1, inverted: Bool = false
  ) -> GrayImage {
    var px = [Float](repeating: paper, count: canvas.0 * canvas.1)
    for y in 0..<canvas.1 {
      for x in 0..<canvas.0 {
        let u = (Float(x - at.0) + 0.5) / scale - 0.5, v = (Float(y - at.1) + 0.5) / scale - 0.5
        let a = bilinear(ink, w, h, u, v)
        px[y * canvas.0 + x] = paper - (paper - inkTone) * a
      }
    }
    if inverted { px = px.map { 1 - $0 } }
    return GrayImage(width: canvas.0, height: canvas.1, pixels: px)
  }

  static let digits = [0, 1, 2, 3, 4, 7, 8, 11, 18, 61]  // test-set indices: a spread of classes

  static func prepared(_ image: GrayImage) -> [Float] {
    let result = DigitPreprocessor().prepare(image)
    guard let pixels = result.pixels else {
      Issue.record("no digit found: \(result.note ?? "")")
      return [Float](repeating: 0, count: 784)
    }
    return pixels
  }

  /// Mean absolute difference of two 28x28 inputs after a Gaussian blur (sigma 1 px),
  /// the smallest over shifts of up to one pixel: centring is to whole pixels (as in
  /// MNIST), so a centre of mass near a half pixel may round either way; differences in
  /// shape count fully.
  static func difference(_ a: [Float], _ b: [Float]) -> Float {
    let sa = gaussianBlur(a, 28, 28, sigma: 1), sb = gaussianBlur(b, 28, 28, sigma: 1)
    var best = Float.infinity
    for dy in -1...1 {
      for dx in -1...1 {
        var sum: Float = 0
        for y in 0..<28 {
          for x in 0..<28 {
            let xx = x + dx, yy = y + dy
            let other = xx < 0 || yy < 0 || xx > 27 || yy > 27 ? 0 : sb[yy * 28 + xx]
            sum += abs(sa[y * 28 + x] - other)
          }
        }
        best = min(best, sum / 784)
      }
    }
    return best
  }

  func expectSame(
    _ variant: (Int) -> GrayImage, within tolerance: Float, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let differences = Self.digits.map { index in
      let ink = MNISTSamples.ink(MNISTSamples.test, index)
      let base = Self.prepared(Self.render(ink, scale: 6, canvas: (240, 220), at: (40, 30)))
      return Self.difference(base, Self.prepared(variant(index)))
    }
    let worst = largestValue(differences)
    print("\(what): worst mean difference \(worst)")
    #expect(worst <= tolerance, "\(what): \(worst)", sourceLocation: sourceLocation)
  }

  static func ink(_ i: Int) -> [Float] { MNISTSamples.ink(MNISTSamples.test, i) }

  @Test func shifted() {
    expectSame({ Self.render(Self.ink($0), scale: 6, canvas: (240, 220), at: (61, 17)) }, within: 0.01, "shifted")
  }

  @Test func padded() {
    expectSame({ Self.render(Self.ink($0), scale: 6, canvas: (520, 400), at: (300, 150)) }, within: 0.01, "padded")
  }

  @Test func inverted() {
    expectSame(
      { Self.render(Self.ink($0), scale: 6, canvas: (240, 220), at: (40, 30), inverted: true) }, within: 0.01,
      "inverted")
  }

  @Test func scaled() {
    expectSame({ Self.render(Self.ink($0), scale: 3, canvas: (120, 110), at: (20, 15)) }, within: 0.04, "scaled down")
    expectSame({ Self.render(Self.ink($0), scale: 11, canvas: (400, 360), at: (60, 40)) }, within: 0.04, "scaled up")
  }

  @Test func lowContrastAndUnevenLight() {
    expectSame(
      { i in
        var image = Self.render(Self.ink(i), scale: 6, canvas: (240, 220), at: (40, 30), paper: 0.55, inkTone: 0.3)
        for y in 0..<image.height {
          for x in 0..<image.width {
            image[x, y] *= 1.5 - 0.9 * Float(x) / Float(image.width) * Float(y + 40) / Float(image.height + 40)
          }
        }
        return image
      }, within: 0.04, "low contrast, shadowed")
  }

  @Test func noiseAndJPEG() {
    var rng = SeededGenerator(seed: 3)
    expectSame(
      { i in
        let image = Self.render(Self.ink(i), scale: 6, canvas: (240, 220), at: (40, 30))
        let bytes = image.pixels.map { v -> UInt8 in
          let u1 = max(rng.uniform(0, 1), 1e-7), u2 = rng.uniform(0, 1)
          let n = 0.05 * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
          return UInt8(max(0, min(255, (v + n) * 255)))
        }
        let jpeg = ImageEncoders.jpeg(
          width: image.width, height: image.height, channels: 1, samples: bytes, quality: 60)
        return try! ImageDecoder.decode(jpeg, name: "noisy.jpg")
      }, within: 0.045, "noise and JPEG")
  }

  @Test func specksAndPaperEdgeIgnored() {
    expectSame(
      { i in
        var image = Self.render(Self.ink(i), scale: 6, canvas: (240, 220), at: (40, 30))
        // Two specks of dirt away from the digit and a dark table edge along the bottom.
        for (sx, sy) in [(220, 20), (15, 200)] {
          for y in sy..<(sy + 3) { for x in sx..<(sx + 3) { image[x, y] = 0.1 } }
        }
        for y in 212..<220 { for x in 0..<240 { image[x, y] = 0.2 } }
        return image
      }, within: 0.01, "specks and paper edge")
  }

  @Test func ruledPaper() {
    expectSame(
      { i in
        var image = Self.render(Self.ink(i), scale: 6, canvas: (240, 220), at: (40, 30))
        // Ruled lines every 36 px and a margin line, darker than light pencil.
        for y in stride(from: 10, to: 220, by: 36) {
          for x in 0..<240 { for t in 0..<2 { image[x, y + t] = min(image[x, y + t], 0.45) } }
        }
        for y in 0..<220 { image[18, y] = min(image[18, y], 0.45) }
        return image
      }, within: 0.04, "ruled paper")
  }

  @Test func layoutMatchesMNIST() {
    for index in Self.digits {
      let out = Self.prepared(Self.render(Self.ink(index), scale: 6, canvas: (240, 220), at: (40, 30)))
      #expect(out.count == 784 && out.allSatisfy { $0 >= 0 && $0 <= 1 } && out.max() == 1)
      let ink = InkGeometry(out)
      let (cx, cy) = ink.centre
      #expect(abs(cx - 14) <= 0.75 && abs(cy - 14) <= 0.75, "centre of mass \(cx), \(cy)")
      let side = max(ink.box.x1 - ink.box.x0 + 1, ink.box.y1 - ink.box.y0 + 1)
      #expect((19...22).contains(side), "bounding box side \(side)")
    }
  }

  /// A digit drawn with a hairline pen at large size comes out with MNIST-like strokes.
  @Test func thinStrokesThickened() {
    let index = 3  // a 0
    var thin = Self.ink(index)
    // Keep only the stroke's core: a thin version of the digit.
    thin = thin.map { $0 > 0.9 ? 1 : 0 }
    let image = Self.render(thin, scale: 20, canvas: (700, 640), at: (60, 40))
    // Draw it as a 2 px line: keep only ink pixels next to paper (the outline), for a 0 a ring.
    var outline = image
    for y in 1..<(image.height - 1) {
      for x in 1..<(image.width - 1) where image[x, y] < 0.5 {
        let inside =
          image[x - 2 < 0 ? 0 : x - 2, y] < 0.5 && image[min(image.width - 1, x + 2), y] < 0.5
          && image[x, max(0, y - 2)] < 0.5 && image[x, min(image.height - 1, y + 2)] < 0.5
        if inside { outline[x, y] = 0.9 }
      }
    }
    let out = Self.prepared(outline)
    let width = Strokes.width(out, width: 28, height: 28)
    let mnist = Strokes.width(Self.ink(index), width: 28, height: 28)
    print("hairline digit stroke width \(width), MNIST's \(mnist)")
    #expect(width >= 0.6 * mnist)
  }

  @Test func blankAndTinyInkAnswerNoDigit() {
    let blank = GrayImage(width: 300, height: 200, value: 0.8)
    #expect(DigitPreprocessor().prepare(blank).pixels == nil)
    var rng = SeededGenerator(seed: 1)
    let paperNoise = GrayImage(
      width: 300, height: 200, pixels: (0..<60_000).map { _ in 0.8 + rng.uniform(-0.03, 0.03) })
    #expect(DigitPreprocessor().prepare(paperNoise).pixels == nil)
    var dot = blank
    for y in 100..<103 { for x in 150..<153 { dot[x, y] = 0 } }
    let result = DigitPreprocessor().prepare(dot)
    #expect(result.pixels == nil)
    #expect(result.note != nil)
    var shadow = blank
    for y in 0..<200 { for x in 0..<300 { shadow[x, y] = 0.9 - 0.4 * Float(x) / 300 } }
    #expect(DigitPreprocessor().prepare(shadow).pixels == nil)
    #expect(DigitPreprocessor().prepare(GrayImage(width: 1, height: 1, value: 0)).pixels == nil)
  }

  @Test func rawInput() throws {
    let ink = Self.ink(0)
    let text = ink.map { String(Int($0 * 255)) }.joined(separator: " ")
    // Every pixel in its place: a layout off by one pixel moves a stroke's edge, a whole
    // level (> 0.1) on some pixel, far above the text's rounding (Int() truncates: < 1/255).
    let fromText = try RawInput.images(Data(text.utf8), name: "-")
    #expect(fromText.count == 1 && fromText[0].width == 28 && fromText[0].height == 28)
    #expect(largestDifference(fromText.first?.pixels ?? [], ink) <= 1.0 / 255 + 1e-6)
    let json = "[" + ink.map { String($0) }.joined(separator: ",") + "]\n"
    let fromJSON = try RawInput.images(Data(json.utf8), name: "-")
    #expect(fromJSON.count == 1 && largestDifference(fromJSON.first?.pixels ?? [], ink) <= 1e-6)
    let bytes = Data(MNISTSamples.test.images[0..<(3 * 784)])
    let fromBytes = try RawInput.images(bytes, name: "-")
    #expect(fromBytes.count == 3)
    for (i, image) in fromBytes.enumerated() {
      #expect(largestDifference(image.pixels, Self.ink(i)) <= 1e-6, "raw image \(i)")
    }
    let png = ImageEncoders.png(width: 2, height: 2, channels: 1, depth: 8, samples: [0, 255, 255, 0])
    #expect(try RawInput.images(png, name: "-")[0].width == 2)
    #expect(throws: DigitsError.self) { try RawInput.images(Data("1 2 3".utf8), name: "-") }
    #expect(throws: DigitsError.self) { try RawInput.images(Data(count: 100), name: "-") }
    #expect(throws: DigitsError.self) { try RawInput.images(Data(), name: "-") }
    // An MNIST array read raw is laid out again nearly unchanged.
    let again = Self.prepared(fromText[0])
    #expect(Self.difference(again, ink) < 0.05)
  }
}
