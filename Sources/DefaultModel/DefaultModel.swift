import CPUBackend
import DigitsCore
import DigitsVision
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

  /// How the judge is named in errors.
  public static let judgeName = "built-in number judge"

  /// The number reader's judge of whole digits (`PieceJudge`), linked into the binary and run
  /// on one CPU thread whatever backend reads the digits: a number's few dozen candidates
  /// cost less there than a device round trip, and the answer is the same on every machine.
  /// Made again with `Benchmarks/Numbers/make-judge`.
  public static func judge() throws -> PieceJudge {
    let bytes = Data(bytes: digits_judge_model_bytes(), count: digits_judge_model_size())
    let model = try ModelFile(Safetensors.decode(bytes, path: judgeName), path: judgeName)
    guard let judge = PieceJudge(model: model, backend: CPUBackend.make(threads: 1)) else {
      throw DigitsError.file(judgeName, "its classes are not the digits and \(NumberPieces.noneName)")
    }
    return judge
  }
}
