import DigitsCore
import Foundation
import Testing
import _TestSupport

/// Model files of any class count: the class names, the layout and the data set's name go
/// into the file and come back; the last layer is sized from the names; files of the digits
/// network keep their bytes.
@Suite struct ModelFileClassesTests {
  let dir = TemporaryDirectory()

  static func letters(_ count: Int) -> [String] {
    (0..<count).map { i in i < 26 ? String(UnicodeScalar(UInt8(65 + i))) : "class \(i)" }
  }

  func model(classes: Int, layout: ModelFile.Layout = .mnist, name: String = "my-letters") -> ModelFile {
    var rng = TestRandom(seed: 3)
    let parameters = SeedNetwork.parameterSpecs(classes: classes).map { rng.array($0.shape.reduce(1, *)) }
    return ModelFile(
      parameters: parameters, datasetName: name, classNames: Self.letters(classes), layout: layout)
  }

  @Test(arguments: [2, 26, 47, 62, 1000])
  func roundTripsWithItsClasses(classes: Int) throws {
    let written = model(classes: classes, layout: .resize)
    let path = dir.path + "/m\(classes).safetensors"
    try written.write(to: path)
    let read = try ModelFile.read(path: path)
    #expect(read == written)
    #expect(read.classes == classes && read.layout == .resize && read.datasetName == "my-letters")
    #expect(read.dataset == nil && !read.hasDigitClasses)
    #expect(read.parameters[6].count == classes * 128 && read.parameters[7].count == classes)
    let network = SeedNetwork(backend: ReferenceBackend(), values: read.parameters)
    #expect(network.classes == classes)
  }

  /// A digits model written now has no layout key and the architecture string of before:
  /// its bytes are those of a file written before the class count was a property.
  @Test func digitsModelsKeepTheirMetadata() throws {
    var rng = TestRandom(seed: 3)
    let digits = ModelFile(
      parameters: SeedNetwork.parameterSpecs.map { rng.array($0.shape.reduce(1, *)) }, dataset: .mnist)
    let metadata = try digits.safetensors().metadata
    #expect(metadata[ModelFile.layoutKey] == nil)
    #expect(metadata["dataset"] == "mnist")
    #expect(
      metadata["architecture"]
        == #"[{"type":"conv2d","filters":32,"kernel":3,"activation":"relu"},{"type":"maxpool2d","size":2},"#
        + #"{"type":"conv2d","filters":64,"kernel":3,"activation":"relu"},{"type":"maxpool2d","size":2},"#
        + #"{"type":"flatten","order":"NCHW"},{"type":"dense","units":128,"activation":"relu"},"#
        + #"{"type":"dense","units":10,"activation":"softmax"}]"#)
    #expect(digits.hasDigitClasses && digits.layout == .mnist)
  }

  func expectRefused(_ file: Safetensors.File, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation)
    throws
  {
    let path = dir.path + "/bad.safetensors"
    try Safetensors.write(file, to: path)
    let error = #expect(throws: DigitsError.self, sourceLocation: sourceLocation) { try ModelFile.read(path: path) }
    #expect(
      error?.description.contains(fragment) == true, "\(error?.description ?? "")", sourceLocation: sourceLocation)
  }

  @Test func badClassesAndLayoutsAreRefused() throws {
    let good = try model(classes: 26).safetensors()
    var one = good
    one.metadata["classes"] = #"["A"]"#
    try expectRefused(one, "metadata classes has 1 names, expected 2 to 1000")
    var twice = good
    twice.metadata["classes"] = try String(
      decoding: JSONEncoder().encode(Self.letters(25) + ["A"]), as: UTF8.self)
    try expectRefused(twice, "name \"A\" is given twice")
    var empty = good
    empty.metadata["classes"] = try String(decoding: JSONEncoder().encode(Self.letters(25) + [""]), as: UTF8.self)
    try expectRefused(empty, "name 25 is empty")
    // Names of another count than the last layer's outputs: the architecture says 27.
    var more = good
    more.metadata["classes"] = try String(decoding: JSONEncoder().encode(Self.letters(27)), as: UTF8.self)
    try expectRefused(more, "another architecture than the seed CNN with 27 classes")
    var shape = good
    shape.metadata["classes"] = more.metadata["classes"]
    shape.metadata["architecture"] = ModelFile.architecture(classes: 27)
    try expectRefused(shape, "fc2.weight has shape [26, 128], expected [27, 128]")
    var layout = good
    layout.metadata[ModelFile.layoutKey] = "sideways"
    try expectRefused(layout, "metadata \"layout\" is \"sideways\", expected one of mnist, resize")
    var name = good
    name.metadata["dataset"] = String(repeating: "x", count: 101)
    try expectRefused(name, "metadata \"dataset\" is longer than 100 characters")
  }

  /// A data set without a test split: a tenth of every class held out, the same tenth for
  /// the same seed, and nothing lost or counted twice.
  @Test func holdOutTakesATenthOfEveryClass() {
    let labels = (0..<300).map { LabeledImages.Label($0 < 280 ? $0 % 7 : 900) }
    let images = LabeledImages(
      images: (0..<300).flatMap { [UInt8](repeating: UInt8($0 % 251), count: 4) }, labels: labels, rows: 2, columns: 2)
    let (rest, held) = ClassifiedDataset.holdOut(images, fraction: 0.1, seed: 5)
    #expect(rest.count + held.count == 300)
    for label in Set(labels) {
      let all = labels.filter { $0 == label }.count
      #expect(held.labels.filter { $0 == label }.count == Int((Double(all) * 0.1).rounded()), "class \(label)")
    }
    #expect(ClassifiedDataset.holdOut(images, fraction: 0.1, seed: 5).heldOut.images == held.images)
    #expect(ClassifiedDataset.holdOut(images, fraction: 0.1, seed: 6).heldOut.images != held.images)
    #expect(Set(rest.images + held.images) == Set(images.images))
  }

  /// Byte labels hash as the IDX files hold them (the values recorded in existing model
  /// files stay right); a label past a byte changes the value.
  @Test func wideLabelsHashWhole() {
    let small = LabeledImages(images: [1, 2], labels: [3, 4], rows: 1, columns: 1)
    let wide = LabeledImages(images: [1, 2], labels: [3, 260], rows: 1, columns: 1)
    var hash = SHA256()
    [UInt8]([1, 2, 3, 4]).withUnsafeBytes { hash.update(bytes: $0) }
    #expect(TrainingFacts.dataSHA256(small) == hash.finalize().map { String(format: "%02x", $0) }.joined())
    #expect(TrainingFacts.dataSHA256(wide) != TrainingFacts.dataSHA256(small))
  }
}
