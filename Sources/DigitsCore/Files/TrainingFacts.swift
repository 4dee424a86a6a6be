import Foundation

/// One epoch's metrics, as stored in the model file's history and printed by `train`.
public struct EpochRecord: Codable, Equatable, Sendable {
  public var epoch: Int
  public var loss: Double
  public var accuracy: Double
  public var valLoss: Double?
  public var valAccuracy: Double?
  public var seconds: Double
  public var imagesPerSecond: Double
  public var learningRate: Double

  enum CodingKeys: String, CodingKey {
    case epoch, loss, accuracy, seconds
    case valLoss = "val_loss", valAccuracy = "val_accuracy"
    case imagesPerSecond = "images_per_second", learningRate = "learning_rate"
  }

  public init(
    epoch: Int, loss: Double, accuracy: Double, valLoss: Double?, valAccuracy: Double?,
    seconds: Double, imagesPerSecond: Double, learningRate: Double
  ) {
    self.epoch = epoch
    self.loss = loss
    self.accuracy = accuracy
    self.valLoss = valLoss
    self.valAccuracy = valAccuracy
    self.seconds = seconds
    self.imagesPerSecond = imagesPerSecond
    self.learningRate = learningRate
  }

  /// Why this record cannot be the `index`-th epoch of a history, or nil if it can.
  func problem(at index: Int) -> String? {
    if epoch != index + 1 { return "history entry \(index + 1) says epoch \(epoch)" }
    let rates: [Double?] = [accuracy, valAccuracy]
    let amounts: [Double?] = [loss, valLoss, seconds, imagesPerSecond, learningRate]
    if rates.contains(where: { $0.map { !(0...1).contains($0) } ?? false })
      || amounts.contains(where: { $0.map { !$0.isFinite || $0 < 0 } ?? false })
    {
      return "history entry \(index + 1) holds a value out of range"
    }
    return nil
  }
}

/// Facts about how a model was trained, kept in the file for reports and reproducibility.
/// The run's settings (`epochs` ... `dataSHA256`) are what `--resume` needs to continue the
/// same run; files written before they were recorded have them nil.
public struct TrainingFacts: Codable, Equatable, Sendable {
  public var seed: UInt64
  public var backend: String
  public var batchSize: Int
  public var validation: String
  public var trainingImages: Int
  public var recipe: String
  public var date: String
  public var version: String
  /// Epochs the run is to reach in all (its `--epochs`).
  public var epochs: Int?
  public var schedule: LearningRateSchedule?
  /// Epochs the schedule spans: the first plan's `--epochs`, kept when a resume extends the run.
  public var scheduleEpochs: Int?
  /// The base learning rate (`--learning-rate`).
  public var learningRate: Float?
  /// `--limit`; nil: no limit (when `epochs` is recorded) or not recorded (when it is not).
  public var limit: Int?
  /// SHA-256 of the training images then labels, after `--limit`, before the validation split.
  public var dataSHA256: String?
  /// Where and when each `--resume` continued the run.
  public var resumes: [Resume]?

  /// One `--resume`: from which epoch (1-based), on which backend, when.
  public struct Resume: Codable, Equatable, Sendable {
    public var epoch: Int
    public var backend: String
    public var date: String
    public init(epoch: Int, backend: String, date: String) {
      self.epoch = epoch
      self.backend = backend
      self.date = date
    }
  }

  enum CodingKeys: String, CodingKey {
    case seed, backend, validation, recipe, date, version, epochs, schedule, limit, resumes
    case batchSize = "batch_size", trainingImages = "training_images", scheduleEpochs = "schedule_epochs"
    case learningRate = "learning_rate", dataSHA256 = "data_sha256"
  }

  public init(
    seed: UInt64, backend: String, batchSize: Int, validation: String, trainingImages: Int,
    recipe: String, date: String, version: String = DigitsVersion.current
  ) {
    self.seed = seed
    self.backend = backend
    self.batchSize = batchSize
    self.validation = validation
    self.trainingImages = trainingImages
    self.recipe = recipe
    self.date = date
    self.version = version
  }

  /// True when every setting `--resume` compares was recorded.
  public var recordsRun: Bool {
    epochs != nil && schedule != nil && scheduleEpochs != nil && learningRate != nil && dataSHA256 != nil
  }

  /// Why these facts cannot come from a real run, or nil. Every number is held to a limit
  /// before anything uses it, so a crafted file gets one error line, never a trap or a
  /// billion-step loop.
  func problem() -> String? {
    typealias L = TrainingLimits
    if !(1...L.batchSize).contains(batchSize) { return "training batch_size \(batchSize) is not in 1...\(L.batchSize)" }
    if !(0...L.images).contains(trainingImages) { return "training_images \(trainingImages) is not in 0...\(L.images)" }
    if let epochs, !(1...L.epochs).contains(epochs) { return "training epochs \(epochs) is not in 1...\(L.epochs)" }
    if let scheduleEpochs, !(1...(epochs ?? L.epochs)).contains(scheduleEpochs) {
      return "training schedule_epochs \(scheduleEpochs) is not in 1...\(epochs ?? L.epochs)"
    }
    if let learningRate, !(learningRate.isFinite && learningRate > 0) {
      return "training learning_rate \(learningRate) is not a positive number"
    }
    if let limit, !(1...L.images).contains(limit) { return "training limit \(limit) is not in 1...\(L.images)" }
    if let dataSHA256, dataSHA256.count != 64 || !dataSHA256.allSatisfy(\.isHexDigit) {
      return "training data_sha256 is not a SHA-256"
    }
    if let resumes, resumes.count > L.epochs || resumes.contains(where: { !(1...L.epochs).contains($0.epoch) }) {
      return "training resumes are out of range"
    }
    return nil
  }
}

/// The largest numbers a model file may hold, checked on load. Far above any real run
/// (MNIST: 60,000 images, tens of epochs), far below where arithmetic on them could overflow.
public enum TrainingLimits {
  /// A checkpoint's history must fit under the model-file limit (`Safetensors.Limits
  /// .digitsModel`, about 1,500 epochs of room): a run the reader would refuse must not start.
  public static let epochs = 1_000
  public static let batchSize = 65_536
  public static let images = 100_000_000
  /// epochs x images: no real run takes more Adam steps, and Int arithmetic stays far from overflow.
  public static let adamSteps = 1 << 44
}

public enum DigitsVersion {
  public static let current = "0.1.0"
}

extension TrainingFacts {
  /// SHA-256 (hex) of the images' bytes then the labels: any changed pixel or label, or
  /// another `--limit`, gives another value. Labels that all fit a byte are hashed one byte
  /// each, as the IDX files hold them, so a set's value does not depend on how wide labels
  /// are kept in memory; wider ones as little-endian pairs. Plain SHA-256 is fast enough here (see
  /// docs/RELIABILITY.md), so no weaker hash is needed.
  public static func dataSHA256(_ data: LabeledImages) -> String {
    var hash = SHA256()
    data.images.withUnsafeBytes { hash.update(bytes: $0) }
    if data.labels.allSatisfy({ $0 <= UInt8.max }) {
      data.labels.map { UInt8($0) }.withUnsafeBytes { hash.update(bytes: $0) }
    } else {
      data.labels.map(\.littleEndian).withUnsafeBytes { hash.update(bytes: $0) }
    }
    return hash.finalize().map { String(format: "%02x", $0) }.joined()
  }
}
