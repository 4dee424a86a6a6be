import DefaultModel
import DigitsCore
import DigitsVision
import Foundation

/// `digits train --finetune DIR --from MODEL --out MODEL2`: a model taught a writer's
/// corrections (the drawing page's folder), with MNIST replay so it forgets nothing.
extension Digits.Train {
  /// Options that mean nothing to a fine-tune: refused instead of silently ignored.
  var optionsUnusedByFinetune: [String] {
    var unused: [String] = []
    if resume { unused.append("--resume") }
    if recipe != nil { unused.append("--recipe") }
    if limit != nil { unused.append("--limit") }
    if validation != nil { unused.append("--validation") }
    if schedule != nil { unused.append("--schedule") }
    if report != nil { unused.append("--report") }
    if layout != nil { unused.append("--layout") }
    if let dataset = dataOptions.dataset, dataset != .idx(.mnist) {
      unused.append("--dataset \(dataset.name) (corrections are digits: MNIST is replayed)")
    }
    return unused
  }

  func runFinetune(corrections folder: String) async throws {
    let corrections = try CorrectionFolder.load(folder: folder)
    let base = try from.map { try ModelFile.read(path: $0) } ?? DefaultModel.load()
    let baseName = from ?? DefaultModel.name
    guard base.dataset == .mnist, base.hasDigitClasses else {
      throw DigitsError.file(
        baseName, "is a \(base.datasetName) model; corrections are handwritten digits, fine-tune an MNIST model")
    }
    let data = try dataOptions.locate(.mnist)
    let replay = try data.loadTraining()
    let test = try data.loadTest()
    var recipe = Finetune.Recipe()
    if let epochs { recipe.epochs = epochs }
    if let learningRate { recipe.learningRate = learningRate }
    if let batchSize { recipe.batchSize = batchSize }
    if let seed { recipe.seed = seed }
    let backend = try BackendFactory.make(backendOptions)
    Console.note(
      "fine-tuning \(baseName) on \(corrections.count) corrections from \(folder): \(recipe.summary); backend \(backend.name)"
    )
    let started = ContinuousClock.now
    let (model, split) = try Finetune.runCalibrated(
      model: base, corrections: corrections, replay: replay, validation: test, backend: backend, recipe: recipe,
      observer: TrainingProgress())
    let took = (ContinuousClock.now - started).components
    let seconds = Double(took.seconds) + Double(took.attoseconds) / 1e18
    try model.write(to: out)
    let before = base.facts?.validation.hasPrefix("test") == true ? base.history.last?.valAccuracy : nil
    let after = model.history.last?.valAccuracy
    let change =
      after.map { a in
        "MNIST test " + (before.map { String(format: "%.2f%% -> ", $0 * 100) } ?? "")
          + String(format: "%.2f%%", a * 100)
      } ?? ""
    let calibration = model.effectiveCalibration
    Console.note(
      String(
        format:
          "calibrated on %d held-out corrections and %d MNIST training images: temperature %.3f, unsure below %.3f",
        split.heldOutCorrections, split.calibration.count - split.heldOutCorrections, calibration.temperature,
        calibration.threshold))
    Console.line(
      String(format: "wrote %@ (fine-tuned in %.1f s, training and MNIST test evaluation; %@)", out, seconds, change))
  }
}
