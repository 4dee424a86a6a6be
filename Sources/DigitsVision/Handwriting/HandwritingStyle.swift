/// How widely the generator varies a drawing: pen, slant, proportions, warp. Training and the
/// style test set use different settings (and seeds), so the test measures generalisation
/// to drawings the model has not seen the like of, not recall of the training generator.
public struct HandwritingStyle: Sendable {
  /// Pen width as a share of the digit's height.
  public var penWidth: ClosedRange<Float>
  /// Horizontal shear: x moves by -slant * (y - 0.5); positive leans right.
  public var slant: ClosedRange<Float>
  /// Radians, uniform in +-.
  public var maxRotation: Float
  /// Width / height of the unit box.
  public var aspect: ClosedRange<Float>
  /// Random displacement of each control point, unit-box widths.
  public var wobble: Float
  /// Amplitude of the smooth random warp bending whole strokes, unit-box widths.
  public var warp: Float
  /// Pen pressure: ink darkness at the stroke's centre.
  public var ink: ClosedRange<Float>

  public init(
    penWidth: ClosedRange<Float>, slant: ClosedRange<Float>, maxRotation: Float, aspect: ClosedRange<Float>,
    wobble: Float, warp: Float, ink: ClosedRange<Float>
  ) {
    self.penWidth = penWidth
    self.slant = slant
    self.maxRotation = maxRotation
    self.aspect = aspect
    self.wobble = wobble
    self.warp = warp
    self.ink = ink
  }

  /// What `--recipe best` trains on: the wider ranges.
  public static let training = HandwritingStyle(
    penWidth: 0.05...0.17, slant: -0.15...0.45, maxRotation: 0.14, aspect: 0.55...0.85, wobble: 0.035, warp: 0.03,
    ink: 0.75...1)

  /// The style test set's: other pen widths, slants and warps, mostly inside training's
  /// ranges but drawn with other values and seeds.
  public static let styleTest = HandwritingStyle(
    penWidth: 0.07...0.14, slant: -0.1...0.35, maxRotation: 0.1, aspect: 0.6...0.8, wobble: 0.03, warp: 0.025,
    ink: 0.85...1)
}
