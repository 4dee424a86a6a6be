/// How a training batch is augmented: on the device as `device` says where the backend does
/// that (OpenCL, its image set resident), else on the host by `host`. The two may differ on
/// purpose: `--recipe best` leaves one step that needs much local memory out of `device`.
public struct BatchAugmentation: Sendable {
  /// What a backend that augments on the device does; nil: every backend runs `host`.
  public var device: DeviceAugmentation?
  /// Changes the first n images of a batch of pixels ([n * 784] in [0,1]) on the host,
  /// drawing from the epoch's generator.
  public var host: @Sendable (inout [Float], Int, inout SeededGenerator) -> Void

  public init(
    device: DeviceAugmentation?, host: @escaping @Sendable (inout [Float], Int, inout SeededGenerator) -> Void
  ) {
    self.device = device
    self.host = host
  }
}

/// What a backend that augments on the device does to each image it gathers: the steps and ranges of
/// DigitsVision's `Augmentation` (which fills this in), as plain numbers, so a backend needs
/// nothing but DigitsCore. The draws are `Augmentation.augment`'s, in its order, from a
/// `SeededGenerator` seeded with `imageSeed(batchSeed:slot:)`; the relayout step crops to the
/// ink (`inkThreshold`), fits `box` x `box` through an `oversample`-times finer image by area
/// resampling, without adjusting strokes, and puts the centre of mass on `centre`.
public struct DeviceAugmentation: Sendable, Equatable {
  public var affineProbability: Float
  /// Radians, uniform in +-.
  public var maxRotation: Float
  public var scaleLow: Float
  public var scaleHigh: Float
  public var maxAspect: Float
  public var maxShear: Float
  public var maxShift: Float
  public var thicknessProbability: Float
  public var blurProbability: Float
  public var noiseProbability: Float
  public var maxNoise: Float
  public var relayoutProbability: Float
  public var inkThreshold: Float
  public var box: Int
  public var oversample: Int
  public var centreX: Float
  public var centreY: Float

  public init(
    affineProbability: Float, maxRotation: Float, scaleLow: Float, scaleHigh: Float, maxAspect: Float,
    maxShear: Float, maxShift: Float, thicknessProbability: Float, blurProbability: Float, noiseProbability: Float,
    maxNoise: Float, relayoutProbability: Float, inkThreshold: Float, box: Int, oversample: Int, centreX: Float,
    centreY: Float
  ) {
    self.affineProbability = affineProbability
    self.maxRotation = maxRotation
    self.scaleLow = scaleLow
    self.scaleHigh = scaleHigh
    self.maxAspect = maxAspect
    self.maxShear = maxShear
    self.maxShift = maxShift
    self.thicknessProbability = thicknessProbability
    self.blurProbability = blurProbability
    self.noiseProbability = noiseProbability
    self.maxNoise = maxNoise
    self.relayoutProbability = relayoutProbability
    self.inkThreshold = inkThreshold
    self.box = box
    self.oversample = oversample
    self.centreX = centreX
    self.centreY = centreY
  }

  /// The seed of the image in batch slot `slot`: output `slot + 1` of SplitMix64 started at
  /// `batchSeed`, so a device derives it from two kernel arguments and the slot, and a step
  /// uploads nothing.
  public static func imageSeed(batchSeed: UInt64, slot: Int) -> UInt64 {
    SplitMix64.mix(batchSeed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(slot + 1))
  }
}
