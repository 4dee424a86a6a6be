import DigitsCore

/// Turns a picture of one handwritten digit (photo, scan, drawing, any size, either
/// polarity) into the 28x28 input the network was trained on, the way MNIST was made:
///
/// 1. luminance -> ink map: polarity detected, paper level estimated per region (uneven
///    lighting), contrast normalised, noise below a floor dropped (`InkMap`);
/// 2. connected components; specks and marks touching the picture's edge dropped when a
///    clear digit sits inside; the digit's pieces kept (`selectDigit`);
/// 3. crop to their bounding box, strokes brought near MNIST's width, scaled to fit 20x20
///    keeping the aspect ratio (anti-aliased), centred by centre of mass in 28x28
///    (`MNISTLayout`).
///
/// Pure value code with no shared state: call it from any thread. The CLI's `predict` and
/// the HTTP server use the same instance defaults.
public struct DigitPreprocessor: Sendable {
  public struct Options: Sendable {
    public var ink = InkMap.Options()
    /// A digit needs at least this many ink pixels (at ink-map resolution)...
    public var minInkPixels = 12
    /// ...and a bounding box whose longer side is at least this fraction of the picture's
    /// longer side (and 6 pixels).
    public var minDigitFraction: Float = 0.03
    /// Bring strokes near MNIST's width (thin pen on a big digit).
    public var adjustStrokes = true
    public init() {}
  }

  public var options: Options
  public init(options: Options = Options()) { self.options = options }

  /// The whole pipeline for one picture.
  public func prepare(_ image: GrayImage) -> PreparedDigit { prepareKeepingMap(image).digit }

  /// `prepare`, with the ink map and components it read (nil for an empty picture), for a
  /// caller that reads the picture further (a wide digit's pieces).
  func prepareKeepingMap(_ image: GrayImage) -> (digit: PreparedDigit, ink: (map: InkMap, parts: InkComponents?)?) {
    guard !image.isEmpty else { return (PreparedDigit(pixels: nil, darkInk: true, note: "empty image"), nil) }
    let (map, parts) = InkMap.focusedWithParts(image, options: options.ink)
    return (prepare(map, parts: parts), (map, parts))
  }

  /// Steps 2 and 3 on an ink map already made.
  public func prepare(_ map: InkMap) -> PreparedDigit { prepare(map, parts: nil) }

  /// Steps 2 and 3, reusing the map's components when they are at hand.
  func prepare(_ map: InkMap, parts known: InkComponents?) -> PreparedDigit {
    if map.contrast < options.ink.minContrast {
      return PreparedDigit(pixels: nil, darkInk: map.darkInk, note: "no ink found (blank or too faint)")
    }
    let parts = known ?? InkComponents(map)
    let keep = Self.selectDigit(parts)
    guard let region = InkRegion(parts, keep: keep) else {
      return PreparedDigit(pixels: nil, darkInk: map.darkInk, note: "no ink found (blank or too faint)")
    }
    if let problem = tooLittle(region, map: map) {
      return PreparedDigit(pixels: nil, darkInk: map.darkInk, note: problem)
    }
    return PreparedDigit(
      pixels: layout(region, map: map), darkInk: map.darkInk, note: nil,
      box: region.sourceBox(in: map))
  }

  /// The 28x28 field of one region of an ink map (the CLI's multi-digit reader uses it per digit).
  public func layout(_ region: InkRegion, map: InkMap) -> [Float] {
    let crop = region.crop(map)
    return MNISTLayout.field(
      crop: crop, width: region.width, height: region.height,
      adjustStrokes: options.adjustStrokes)
  }

  /// Why a region is too small to be a digit, or nil.
  func tooLittle(_ region: InkRegion, map: InkMap) -> String? {
    let side = max(region.width, region.height)
    let minSide = max(6, Int(options.minDigitFraction * Float(max(map.width, map.height))))
    if region.area < options.minInkPixels || side < minSide { return "too little ink for a digit" }
    return nil
  }

  /// Indices of the components that make up the digit: the largest one (preferring ones
  /// clear of the picture's edge, since paper edges and shadows touch it), plus pieces
  /// near it (broken strokes) that are more than specks.
  public static func selectDigit(_ parts: InkComponents) -> [Int] {
    let all = parts.components
    guard let largest = all.map(\.area).max(), largest > 0 else { return [] }
    var pool = Array(all.indices)
    let interior = pool.filter { !all[$0].touchesBorder }
    if let bigInterior = interior.map({ all[$0].area }).max(), Float(bigInterior) >= 0.15 * Float(largest) {
      pool = interior
    }
    guard let main = pool.max(by: { all[$0].area < all[$1].area }) else { return [] }
    let m = all[main]
    let size = Float(max(m.width, m.height))
    return pool.filter { i in
      if i == main { return true }
      let c = all[i]
      let gap = Float(max(0, max(c.minX - m.maxX, m.minX - c.maxX), max(c.minY - m.maxY, m.minY - c.maxY)))
      if gap <= 0.5 * size && Float(c.area) >= max(2, 0.02 * Float(m.area)) { return true }
      return Float(c.area) >= 0.5 * Float(m.area)
    }
  }
}

/// The result for one picture: the network input, or nil with the reason.
public struct PreparedDigit: Sendable {
  /// 784 values in [0, 1], ink 1 on black 0 (MNIST's convention); nil when there is no digit.
  public let pixels: [Float]?
  public let darkInk: Bool
  /// Why `pixels` is nil.
  public let note: String?
  /// The digit's bounding box in the source picture's pixels.
  public var box: (x: Int, y: Int, width: Int, height: Int)?

  public init(pixels: [Float]?, darkInk: Bool, note: String?, box: (x: Int, y: Int, width: Int, height: Int)? = nil) {
    self.pixels = pixels
    self.darkInk = darkInk
    self.note = note
    self.box = box
  }
}
