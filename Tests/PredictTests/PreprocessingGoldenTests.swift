import CStb
import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// The optimised preprocessing must compute what it computed before: every stage of
/// `DigitPreprocessor` (luminance, ink map, components, the 784 outputs, notes, boxes) is
/// compared with `Reference`, a verbatim copy of the code as it was, on a fixed corpus of
/// pictures (the docs' examples, MNIST digits as raw arrays and as photos, drawn digits at
/// 28 to 1000 px, both polarities, gray, gray+alpha, RGB and RGBA, 8 and 16 bit, lossy and
/// odd pictures). Comparing against a copy run on the same inputs, rather than against
/// stored checksums, keeps the test exact on every platform (the photos go through libm and
/// JPEG, whose last bits may differ between systems).
@Suite struct PreprocessingGoldenTests {
  /// Largest difference allowed in any value. Zero: every change so far keeps the
  /// arithmetic (and its order) exactly; raise to 1e-6 only for a change that must reorder
  /// a float sum, and say so here.
  static let tolerance: Float = 0

  struct Case {
    let name: String
    let file: Data
  }

  // MARK: - Corpus

  static let shapes: [[[(Float, Float)]]] = [
    [StrokeDrawing.circle(0.5, 0.5, 0.22, 0.32)],
    [[(0.45, 0.25), (0.55, 0.18), (0.55, 0.82)]],
    [StrokeDrawing.circle(0.5, 0.35, 0.2, 0.15, from: .pi, to: 2.2 * .pi) + [(0.3, 0.8), (0.72, 0.8)]],
    [[(0.6, 0.82), (0.6, 0.18), (0.28, 0.62), (0.75, 0.62)]],
    [[(0.28, 0.2), (0.72, 0.2), (0.45, 0.82)]],
    [StrokeDrawing.circle(0.5, 0.33, 0.15, 0.14), StrokeDrawing.circle(0.5, 0.66, 0.19, 0.17)],
    // Small and off-centre (the focused map's fine pass on large pictures), a speck beside it.
    [[(0.1, 0.1), (0.16, 0.1), (0.12, 0.2)], [(0.8, 0.8), (0.805, 0.805)]],
    // Ruled lines edge to edge with a digit across them.
    [[(0, 0.3), (1, 0.3)], [(0, 0.6), (1, 0.6)], [(0.5, 0.15), (0.5, 0.85)]],
  ]

  /// Interleaved 8-bit samples of a luminance picture in `channels` channels: gray, gray +
  /// alpha (ink as opacity on transparent paper, like a canvas export), RGB (blue ink on
  /// cream paper), RGBA (opaque, or ink as black with alpha).
  static func samples(_ image: GrayImage, channels: Int, transparent: Bool = false) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(image.pixels.count * channels)
    for v in image.pixels {
      let b = Int(max(0, min(255, (v * 255).rounded())))
      switch channels {
      case 1: out.append(b)
      case 2: out += transparent ? [0, 255 - b] : [b, 255]
      case 3: out += [min(255, b + 10), min(255, b + 5), max(0, b - 40)]
      default: out += transparent ? [0, 0, 0, 255 - b] : [b, b, b, 255]
      }
    }
    return out
  }

  static func png(_ image: GrayImage, channels: Int, transparent: Bool = false, depth: Int = 8) -> Data {
    var s = samples(image, channels: channels, transparent: transparent)
    if depth == 16 { s = s.map { $0 * 257 } }
    return ImageEncoders.png(width: image.width, height: image.height, channels: channels, depth: depth, samples: s)
  }

  static let corpus: [Case] = {
    var cases: [Case] = []
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    for name in ["four.png", "seven.png", "number-2024.png"] {
      cases.append(Case(name: name, file: try! Data(contentsOf: root.appendingPathComponent("docs/examples/\(name)"))))
    }
    // Drawn digits: sizes, pens, polarities, encodings.
    var k = 0
    for size in [28, 112, 140, 280, 300, 640, 1000] {
      for (s, strokes) in shapes.enumerated() where size <= 300 || s % 3 == k % 3 {
        for thickness: Float in size <= 140 ? [1.5, 6, 14] : [2, Float(size) / 25, Float(size) / 9] {
          for dark in [true, false] {
            k += 1
            let image = StrokeDrawing.draw(strokes, thickness: thickness, size: size, dark: dark)
            let tag = "drawn \(s) \(size)px pen \(thickness) \(dark ? "dark" : "light")"
            // Dark ink can be a canvas export with transparent paper; light ink is opaque.
            switch k % 5 {
            case 0: cases.append(Case(name: tag + " gray", file: png(image, channels: 1)))
            case 1: cases.append(Case(name: tag + " rgba", file: png(image, channels: 4, transparent: dark)))
            case 2: cases.append(Case(name: tag + " gray+alpha", file: png(image, channels: 2, transparent: dark)))
            case 3: cases.append(Case(name: tag + " rgb", file: png(image, channels: 3)))
            default: cases.append(Case(name: tag + " rgba16", file: png(image, channels: 4, depth: 16)))
            }
          }
        }
      }
    }
    // MNIST digits as raw 28x28 arrays (light ink on black) and as dark ink on white.
    for (n, i) in MNISTSamples.spread(12, offset: 7).enumerated() {
      let picture = MNISTSamples.picture(MNISTSamples.test, i)
      let image = n % 2 == 0 ? picture : GrayImage(width: 28, height: 28, pixels: picture.pixels.map { 1 - $0 })
      cases.append(Case(name: "mnist \(i) raw", file: png(image, channels: n % 3 == 0 ? 1 : 4)))
    }
    // MNIST digits as photos (uneven light, blur, noise, JPEG) at several canvas sizes.
    for (n, i) in MNISTSamples.spread(24, offset: 3).enumerated() {
      var maker = PhotoMaker(seed: UInt64(100 + n))
      maker.canvas = [100...160, 160...300, 300...700, 700...1100][n % 4]
      let photo = maker.photo(MNISTSamples.ink(MNISTSamples.test, i))
      let image =
        n % 3 == 1 ? GrayImage(width: photo.width, height: photo.height, pixels: photo.pixels.map { 1 - $0 }) : photo
      let bytes = image.pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
      let file =
        n % 2 == 0
        ? ImageEncoders.jpeg(width: image.width, height: image.height, channels: 1, samples: bytes, quality: 85)
        : png(image, channels: n % 4 == 1 ? 3 : 1)
      cases.append(Case(name: "photo \(i) \(image.width)x\(image.height)", file: file))
    }
    // A colour JPEG of a drawn digit.
    let drawn = StrokeDrawing.draw(shapes[4], thickness: 9, size: 200)
    let rgb = samples(drawn, channels: 3).map { UInt8($0) }
    cases.append(
      Case(
        name: "drawn colour jpeg",
        file: ImageEncoders.jpeg(width: 200, height: 200, channels: 3, samples: rgb, quality: 80)))
    // A number (several digits) on a wide strip.
    var maker = PhotoMaker(seed: 7)
    let strip = maker.strip(MNISTSamples.spread(4, offset: 11).map { MNISTSamples.ink(MNISTSamples.test, $0) })
    let number = maker.photo(strip.ink, width: strip.width, height: strip.height)
    cases.append(Case(name: "number photo", file: png(number, channels: 1)))
    // Odd pictures: blank, faint, tiny, thin strips, noise, a border frame.
    var rng = SeededGenerator(seed: 42)
    let odd: [(String, GrayImage)] = [
      ("blank", GrayImage(width: 120, height: 90, value: 1)),
      ("black", GrayImage(width: 64, height: 64, value: 0)),
      ("1x1", GrayImage(width: 1, height: 1, value: 0.5)),
      ("1x300", GrayImage(width: 1, height: 300, pixels: (0..<300).map { $0 % 40 < 20 ? 0 : 1 })),
      ("700x3", GrayImage(width: 700, height: 3, pixels: (0..<2100).map { ($0 % 700) / 50 % 2 == 0 ? 0.1 : 0.9 })),
      ("noise", GrayImage(width: 150, height: 150, pixels: (0..<22500).map { _ in rng.uniform(0, 1) })),
      (
        "faint",
        GrayImage(
          width: 100, height: 100,
          pixels: StrokeDrawing.draw(shapes[0], thickness: 6, size: 100).pixels.map { 0.95 + 0.05 * $0 })
      ),
      (
        "frame",
        GrayImage(
          width: 257, height: 131,
          pixels: (0..<(257 * 131)).map { i in
            let x = i % 257, y = i / 257
            return x < 4 || y < 4 || x > 250 || y > 125 || (x > 100 && x < 112 && y > 20 && y < 100) ? 0.05 : 0.9
          })
      ),
    ]
    for (name, image) in odd { cases.append(Case(name: name, file: png(image, channels: 1))) }
    return cases
  }()

  // MARK: - Reference decoding

  /// What the old `ImageDecoder.decode` returned for a file: stb_image's samples through the
  /// reference luminance.
  static func referenceDecode(_ data: Data) -> Reference.GrayImage {
    data.withUnsafeBytes { raw in
      let bytes = raw.bindMemory(to: UInt8.self)
      let length = Int32(bytes.count)
      var w: Int32 = 0, h: Int32 = 0, channels: Int32 = 0
      if stbi_is_16_bit_from_memory(bytes.baseAddress, length) == 1 {
        let p = stbi_load_16_from_memory(bytes.baseAddress, length, &w, &h, &channels, 0)!
        defer { stbi_image_free(p) }
        return Reference.ImageDecoder.luminance(
          UnsafeBufferPointer(start: p, count: Int(w * h * channels)), width: Int(w),
          height: Int(h), channels: Int(channels), scale: 1.0 / 65535.0)
      }
      let p = stbi_load_from_memory(bytes.baseAddress, length, &w, &h, &channels, 0)!
      defer { stbi_image_free(p) }
      return Reference.ImageDecoder.luminance(
        UnsafeBufferPointer(start: p, count: Int(w * h * channels)), width: Int(w),
        height: Int(h), channels: Int(channels), scale: 1.0 / 255.0)
    }
  }

  // MARK: - Comparison

  /// Differences between two arrays, as a short description, or nil when equal within the
  /// tolerance. With a zero tolerance the bits must match too: +0 and -0 compare equal as
  /// Floats, but they are different outputs (and a sign that flips is a changed algorithm).
  static func differ(_ a: [Float], _ b: [Float]) -> String? {
    guard a.count == b.count else { return "\(a.count) values, expected \(b.count)" }
    var worst: Float = 0, at = -1, count = 0, first = -1
    for i in a.indices where a[i].bitPattern != b[i].bitPattern {
      count += 1
      if first < 0 { first = i }
      let d = abs(a[i] - b[i])
      if !(d <= worst) {
        worst = d
        at = i
      }
    }
    guard count > 0 else { return nil }
    if !(worst <= tolerance) { return "\(count) values differ, worst \(worst) at \(at) (\(a[at]) vs \(b[at]))" }
    guard tolerance == 0 else { return nil }
    return "\(count) values differ in their bits only (e.g. +0 vs -0), first at \(first) (\(a[first]) vs \(b[first]))"
  }

  @Test func corpusIsVaried() {
    let corpus = Self.corpus
    #expect(corpus.count > 150)
    let sizes = Set(
      corpus.map { (try? ImageDecoder.decode($0.file, name: $0.name)).map { max($0.width, $0.height) } ?? 0 })
    for side in [28, 112, 140, 280, 300, 640, 1000] { #expect(sizes.contains(side)) }
    #expect(sizes.contains { $0 > 1000 })
  }

  @Test(arguments: 0..<4) func sameAsBefore(part: Int) throws {
    var checked = 0, digits = 0
    for (index, c) in Self.corpus.enumerated() where index % 4 == part {
      let image = try ImageDecoder.decode(c.file, name: c.name)
      let old = Self.referenceDecode(c.file)
      #expect(image.width == old.width && image.height == old.height, "\(c.name): size")
      if let d = Self.differ(image.pixels, old.pixels) { Issue.record("\(c.name): luminance: \(d)") }
      let oldImage = Reference.GrayImage(width: image.width, height: image.height, pixels: image.pixels)

      // The ink maps, whole and focused.
      for focused in [false, true] {
        let map = focused ? InkMap.focused(image) : InkMap.make(image)
        let ref = focused ? Reference.InkMap.focused(oldImage) : Reference.InkMap.make(oldImage)
        let what = "\(c.name): \(focused ? "focused" : "whole") ink map"
        #expect(map.width == ref.width && map.height == ref.height && map.shrink == ref.shrink, "\(what): size")
        #expect(map.origin.x == ref.origin.x && map.origin.y == ref.origin.y, "\(what): origin")
        #expect(map.darkInk == ref.darkInk, "\(what): polarity")
        #expect(map.contrast == ref.contrast, "\(what): contrast \(map.contrast) vs \(ref.contrast)")
        if let d = Self.differ(map.ink, ref.ink) { Issue.record("\(what): \(d)") }

        // Components of the same map (so a difference shows where it starts).
        let parts = InkComponents(map)
        let refParts = Reference.InkComponents(Reference.InkMap(width: map.width, height: map.height, ink: map.ink))
        #expect(parts.labels == refParts.labels, "\(what): component labels")
        #expect(parts.components.count == refParts.components.count, "\(what): component count")
        for (a, b) in zip(parts.components, refParts.components) {
          #expect(
            a.area == b.area && a.mass == b.mass && a.touchesBorder == b.touchesBorder
              && a.minX == b.minX && a.maxX == b.maxX && a.minY == b.minY && a.maxY == b.maxY, "\(what): component")
        }
      }

      // The whole pipeline.
      let out = DigitPreprocessor().prepare(image)
      let ref = Reference.DigitPreprocessor().prepare(oldImage)
      #expect(out.note == ref.note, "\(c.name): note")
      #expect(out.darkInk == ref.darkInk, "\(c.name): polarity")
      #expect(
        out.box.map { [$0.x, $0.y, $0.width, $0.height] } == ref.box.map { [$0.x, $0.y, $0.width, $0.height] },
        "\(c.name): box")
      #expect((out.pixels == nil) == (ref.pixels == nil), "\(c.name): digit found")
      if let p = out.pixels, let q = ref.pixels {
        digits += 1
        if let d = Self.differ(p, q) { Issue.record("\(c.name): 784 outputs: \(d)") }
      }
      checked += 1
    }
    #expect(checked > 30 && digits > 20)
  }

  /// The layout step alone, on crops of many shapes (the pipeline only reaches some).
  @Test func layoutSameAsBefore() {
    var rng = SeededGenerator(seed: 9)
    for (w, h) in [(1, 1), (3, 40), (40, 3), (17, 23), (60, 61), (120, 80), (300, 290)] {
      for thin in [false, true] {
        let crop = (0..<(w * h)).map { i -> Float in
          let v = rng.uniform(0, 1)
          return thin ? (v > 0.93 ? v * 0.3 : 0) : (v > 0.5 ? v : 0)
        }
        let a = MNISTLayout.field(crop: crop, width: w, height: h)
        let b = Reference.MNISTLayout.field(crop: crop, width: w, height: h)
        if let d = Self.differ(a, b) { Issue.record("layout \(w)x\(h) thin \(thin): \(d)") }
        #expect(Strokes.width(crop, width: w, height: h) == Reference.Strokes.width(crop, width: w, height: h))
        let r = Resample.area(crop, width: w, height: h, toWidth: 37, toHeight: 23)
        if let d = Self.differ(r, Reference.Resample.area(crop, width: w, height: h, toWidth: 37, toHeight: 23)) {
          Issue.record("resample \(w)x\(h): \(d)")
        }
      }
    }
  }
}
