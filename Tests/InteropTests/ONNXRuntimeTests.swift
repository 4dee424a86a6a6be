import CPUBackend
import DefaultModel
import DigitsCore
import Foundation
import Testing
import _TestSupport

/// `digits export --format onnx` checked by ONNX Runtime (Tests/Interop/check_onnx.py):
/// onnx.checker passes, and ORT's probabilities on the first 1,000 MNIST test images equal
/// digits' own within 1e-5 at batch sizes 1 and 1,000. The built-in model's export also runs
/// the README's "Serving elsewhere" snippet; a model `digits train` just made is the round trip.
@Suite(
  "ONNX export checked by ONNX Runtime", .serialized, .enabled(if: PythonChecker.shouldRun, PythonChecker.skipMessage))
struct ONNXRuntimeTests {
  static let images = TestData.mnistTest.slice(0..<1000)

  @Test("the built-in model, exported, gives digits' probabilities in ONNX Runtime; the README snippet runs")
  func builtInModel() throws {
    guard PythonChecker.ready() else { return }
    let folder = TemporaryDirectory()
    try exportAndCheck(modelPath: nil, model: DefaultModel.load(), folder: folder.path, readme: true)
  }

  @Test("digits train -> export onnx -> ONNX Runtime")
  func trainedModel() throws {
    guard PythonChecker.ready() else { return }
    let folder = TemporaryDirectory()
    let modelPath = folder.path + "/trained.safetensors"
    let train = try CLIRunner.run([
      "train", "--data", TestData.mnistPath, "--limit", "2000", "--epochs", "1", "--backend", "cpu",
      "--validation", "none", "--out", modelPath,
    ])
    try #require(train.status == 0, "digits train failed: \(train.stderr)")
    try exportAndCheck(modelPath: modelPath, model: ModelFile.read(path: modelPath), folder: folder.path, readme: false)
  }

  /// Exports through the CLI, writes the images and digits' probabilities as raw Float32, runs the checker.
  func exportAndCheck(modelPath: String?, model: ModelFile, folder: String, readme: Bool) throws {
    let onnxPath = folder + "/model.onnx"
    let export = try CLIRunner.run(
      ["export"] + (modelPath.map { ["--model", $0] } ?? []) + ["--format", "onnx", "--out", onnxPath])
    try #require(export.status == 0, "digits export failed: \(export.stderr)")

    let data = Self.images
    var pixels = [Float](repeating: 0, count: data.count * MNISTShape.pixels)
    var labels = [Float](repeating: 0, count: data.count)
    pixels.withUnsafeMutableBufferPointer { p in
      labels.withUnsafeMutableBufferPointer { data.fill(indices: Array(0..<data.count)[...], pixels: p, labels: $0) }
    }
    let network = SeedNetwork(backend: CPUBackend.make(), values: model.parameters)
    // What digits predict answers with: the network's probabilities at the model's temperature.
    let probabilities = model.effectiveCalibration.apply(
      try Evaluator(network: network).probabilities(data), classes: model.classes)
    try littleEndianBytes(pixels).write(to: URL(fileURLWithPath: folder + "/images.f32"))
    try littleEndianBytes(probabilities).write(to: URL(fileURLWithPath: folder + "/expected.f32"))

    var command = [
      "python3", "Tests/Interop/check_onnx.py", "--model", onnxPath, "--images", folder + "/images.f32",
      "--expected", folder + "/expected.f32",
    ]
    if readme { command += ["--readme", "README.md"] }
    let check = try PythonChecker.run(command)
    #expect(check.status == 0, "check_onnx.py failed:\n\(check.output)")
    print(check.output)
  }

  func littleEndianBytes(_ values: [Float]) -> Data {
    var data = Data(capacity: values.count * 4)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
    return data
  }
}
