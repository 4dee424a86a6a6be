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
