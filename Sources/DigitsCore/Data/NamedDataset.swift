import Foundation

/// A data set `digits` can find by name: an MNIST-format set (`mnist`, `fashion`) or an
/// EMNIST split (`emnist-letters`, ...). What `--dataset` names in `download`, `train` and
/// `evaluate`; a folder of pictures has no name here, it is found through `--data`.
public enum NamedDataset: Equatable, Sendable {
  case idx(DatasetKind)
  case emnist(EMNISTSplit)

  public init?(name: String) {
    if let kind = DatasetKind(rawValue: name) {
      self = .idx(kind)
    } else if let split = EMNISTSplit(datasetName: name) {
      self = .emnist(split)
    } else {
      return nil
    }
  }

  /// The name a model file records and `--dataset` takes.
  public var name: String {
    switch self {
    case .idx(let kind): return kind.rawValue
    case .emnist(let split): return split.datasetName
    }
  }

  public static var allNames: [String] {
    DatasetKind.allCases.map(\.rawValue) + EMNISTSplit.allCases.map(\.datasetName)
  }

  /// Loads the set from `folder`, else from its usual places, and says where it was.
  public func load(folder: String?) throws -> (dataset: ClassifiedDataset, location: String) {
    switch self {
    case .idx(let kind):
      let located = try DatasetFolder.locate(option: folder, kind: kind)
      return (try located.loadClassified(), located.path)
    case .emnist(let split):
      let path = folder ?? split.defaultDirectory()
      return (try EMNIST.load(folder: path, split: split), path)
    }
  }

  /// The set's test images alone (an IDX folder holding just the two test files will do).
  public func loadTest(folder: String?) throws -> (images: LabeledImages, location: String) {
    switch self {
    case .idx(let kind):
      let located = try DatasetFolder.locate(option: folder, kind: kind, testOnly: true)
      return (try located.loadTest(), located.path)
    case .emnist:
      let (dataset, location) = try load(folder: folder)
      return (dataset.test ?? dataset.training, location)
    }
  }
}
