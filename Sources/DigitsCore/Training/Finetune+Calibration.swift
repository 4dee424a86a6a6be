import Foundation

/// A fine-tuned model is calibrated like a trained one: its temperature and unsure threshold
/// are fitted (`Calibration.fit`) on images it never trained on, so its confidences mean
/// what the base model's meant. Those images are every fifth correction (none when there
/// are fewer than `minCorrectionsToHoldOut`: a writer's first few all teach) and the last tenth of the MNIST
/// training set: the split the built-in model was validated and calibrated on, left out of
/// the replay. The corrections make the fit see the writer's hand, MNIST keeps it from
/// resting on a handful of images.
extension Finetune {
  /// Every `heldOutEvery`-th correction is held out for calibration, once there are
  /// `minCorrectionsToHoldOut`.
  public static let heldOutEvery = 5
  public static let minCorrectionsToHoldOut = 20
  /// The share of the MNIST training set, at its end, held out of the replay for calibration.
  public static let calibrationShare = 0.1

  /// `corrections` and `replay` split into what trains and what calibrates.
  public struct Split: Sendable {
    public var corrections: LabeledImages
    public var replay: LabeledImages
    public var calibration: LabeledImages
    public var heldOutCorrections: Int
  }

  public static func split(corrections: LabeledImages, replay: LabeledImages) -> Split {
    let holdOut = corrections.count >= minCorrectionsToHoldOut
    let isHeldOut = { (index: Int) in holdOut && index % heldOutEvery == heldOutEvery - 1 }
    let trained = select(corrections) { !isHeldOut($0) }
    let held = select(corrections, isHeldOut)
    let mnistHeld = Int((Double(replay.count) * calibrationShare).rounded())
    let kept = replay.slice(0..<(replay.count - mnistHeld))
    let mnist = replay.slice((replay.count - mnistHeld)..<replay.count)
    let calibration = LabeledImages(
      images: held.images + mnist.images, labels: held.labels + mnist.labels, rows: replay.rows,
      columns: replay.columns)
    return Split(corrections: trained, replay: kept, calibration: calibration, heldOutCorrections: held.count)
  }

  /// The images of `data` whose index passes `keep`, in order.
  static func select(_ data: LabeledImages, _ keep: (Int) -> Bool) -> LabeledImages {
    let p = data.pixelsPerImage
    var images = [UInt8](), labels = [LabeledImages.Label]()
    for index in 0..<data.count where keep(index) {
      images += data.images[(index * p)..<((index + 1) * p)]
      labels.append(data.labels[index])
    }
    return LabeledImages(images: images, labels: labels, rows: data.rows, columns: data.columns)
  }

  /// `run` on the training part of `split(corrections:replay:)`, then the temperature and
  /// threshold fitted on its calibration part and stored in the model.
  public static func runCalibrated(
    model: ModelFile, corrections: LabeledImages, replay: LabeledImages, validation: LabeledImages?,
    backend: any Backend, recipe: Recipe = Recipe(), observer: TrainingObserver? = nil,
    date: String = ISO8601DateFormatter().string(from: Date())
  ) throws -> (model: ModelFile, split: Split) {
    let parts = split(corrections: corrections, replay: replay)
    var tuned = try run(
      model: model, corrections: parts.corrections, replay: parts.replay, validation: validation, backend: backend,
      recipe: recipe, observer: observer, date: date)
    let probabilities = try Evaluator(network: SeedNetwork(backend: backend, values: tuned.parameters))
      .probabilities(parts.calibration)
    tuned.calibration = Calibration.fit(probabilities: probabilities, labels: parts.calibration.labels)
    return (tuned, parts)
  }
}
