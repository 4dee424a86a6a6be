import DigitsCore
import Foundation
import _DefaultModelData

/// The model that ships inside the binary, so `digits predict photo.jpg` works on a fresh
/// install with no training: the seed CNN trained on the MNIST training set only, with
/// `digits train --recipe best` (README, "The default model", has the command and scores).
public enum DefaultModel {
  /// How the model is named in output and errors.
  public static let name = "built-in model"

  /// The safetensors bytes linked into the binary.
  public static var bytes: Data {
    Data(bytes: digits_default_model_bytes(), count: digits_default_model_size())
  }

  /// The parsed model (validated like any model file).
  public static func load() throws -> ModelFile {
    try ModelFile(Safetensors.decode(bytes, path: name), path: name)
  }
}
