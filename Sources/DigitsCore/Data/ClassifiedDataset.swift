/// A data set of any number of classes as a loader hands it to training and evaluation:
/// images as bytes (28x28, ink high on 0), labels as indices into `classNames`. MNIST's IDX
/// folders, EMNIST splits and folders of pictures all arrive in this one shape.
public struct ClassifiedDataset: Sendable {
  public var training: LabeledImages
  /// The set's own test split; nil when it has none (training then holds out a validation split).
  public var test: LabeledImages?
  /// Class index to name, in the order the loader defines (a folder of pictures: sorted names).
  public var classNames: [String]
  /// What the set is called in the model file and in messages ("mnist", "emnist-letters", a folder's name).
  public var name: String

  public init(training: LabeledImages, test: LabeledImages?, classNames: [String], name: String) {
    self.training = training
    self.test = test
    self.classNames = classNames
    self.name = name
  }
}

extension ClassifiedDataset {
  /// Splits `images` into (rest, held out): `fraction` of each class's images, chosen by a
  /// shuffle from `seed`, held out (at least one of any class with two or more), each part
  /// in the images' own order. Per class, so a class with few images is still tested.
  public static func holdOut(_ images: LabeledImages, fraction: Double, seed: UInt64) -> (
    rest: LabeledImages, heldOut: LabeledImages
  ) {
    precondition((0...1).contains(fraction))
    var byClass: [LabeledImages.Label: [Int]] = [:]
    for (i, label) in images.labels.enumerated() { byClass[label, default: []].append(i) }
    var rng = SeededGenerator(seed: seed)
    var held = [Bool](repeating: false, count: images.count)
    for label in byClass.keys.sorted() {
      var indices = byClass[label]!
      indices.shuffle(using: &rng)
      var count = Int((Double(indices.count) * fraction).rounded())
      if count == 0, indices.count >= 2, fraction > 0 { count = 1 }
      for i in indices.prefix(count) { held[i] = true }
    }
    return (images.subset(where: { !held[$0] }), images.subset(where: { held[$0] }))
  }
}

extension LabeledImages {
  /// The images whose index passes `keep`, in order.
  public func subset(where keep: (Int) -> Bool) -> LabeledImages {
    let p = pixelsPerImage
    var kept: [UInt8] = [], keptLabels: [Label] = []
    for i in 0..<count where keep(i) {
      kept.append(contentsOf: images[(i * p)..<((i + 1) * p)])
      keptLabels.append(labels[i])
    }
    return LabeledImages(images: kept, labels: keptLabels, rows: rows, columns: columns)
  }

  /// The images in an order shuffled by `seed`: a loader that reads class by class (a
  /// folder of pictures) would otherwise leave the last classes alone in the validation
  /// split, which is the last part of the training set.
  public func shuffled(seed: UInt64) -> LabeledImages {
    var order = Array(0..<count)
    var rng = SeededGenerator(seed: seed)
    order.shuffle(using: &rng)
    let p = pixelsPerImage
    var shuffledImages = [UInt8](), shuffledLabels = [Label]()
    shuffledImages.reserveCapacity(images.count)
    shuffledLabels.reserveCapacity(count)
    for i in order {
      shuffledImages.append(contentsOf: images[(i * p)..<((i + 1) * p)])
      shuffledLabels.append(labels[i])
    }
    return LabeledImages(images: shuffledImages, labels: shuffledLabels, rows: rows, columns: columns)
  }
}
