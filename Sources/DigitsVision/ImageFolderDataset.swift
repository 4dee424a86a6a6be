import DigitsCore
import Foundation

/// A folder of pictures in the layout people already have (Keras' `image_dataset_from_directory`,
/// torchvision's `ImageFolder`): `DIR/<class name>/*.png|jpg|...`, or `DIR/train/<class name>/...`
/// with `DIR/test/<class name>/...`. Class names are sorted into indices; pictures inside a
/// class folder are found recursively, hidden entries skipped. Each picture goes through the
/// decoder `predict` uses and then its layout (`ModelFile.Layout.field`).
///
/// A picture that cannot be read (damaged, unknown format, no ink) costs one line naming it
/// and the load goes on; a class left with no readable picture is an error naming its folder.
/// The pictures are counted and checked against `Limits` before the image bytes are allocated.
public enum ImageFolderDataset {
  public struct Limits: Sendable {
    /// Most pictures, training and test together: 1,000,000 x 784 bytes is 784 MB, above
    /// EMNIST ByClass (698k training images).
    public var maxPictures = 1_000_000
    public var maxClasses = 1000
    public init() {}
  }

  /// Pictures decoded per step; progress is reported between steps.
  static let stepSize = 4096
  /// Folders with at least this many pictures get progress lines.
  static let progressThreshold = 10_000

  /// Whether `path` is a folder of pictures rather than an IDX data set: a folder holding
  /// class folders and no MNIST-format image file.
  public static func isPictureFolder(_ path: String) -> Bool {
    guard ImageFolderListing.isFolder(path) else { return false }
    let idx = DatasetFolder.fileStems.contains { DatasetFolder.resolve(path, $0) != nil }
    return !idx && ((try? ImageFolderListing.subfolders(path).isEmpty == false) ?? false)
  }

  /// Loads `folder` as a classified data set of 28x28 byte images (ink high on 0). `log`
  /// receives the one-line notes (unreadable pictures, progress, the summary); errors that
  /// stop the load are thrown as `DigitsError`.
  public static func load(
    _ folder: String, layout: ModelFile.Layout = .mnist, limits: Limits = Limits(),
    log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
  ) throws -> ClassifiedDataset {
    let parts = try ImageFolderListing(folder, limits: limits)
    for problem in parts.problems { log(problem) }
    var unreadable = parts.problems.count
    // One part at a time: its decoded bytes are freed before the next part is read.
    func read(_ part: ImageFolderListing.Part) throws -> LabeledImages {
      let decoded = try decode(part, layout: layout, log: log)
      unreadable += decoded.failures
      return try decoded.images(classNames: parts.classNames)
    }
    let training = try read(parts.training)
    let test = try parts.test.map(read)
    if unreadable > 0 {
      let total = parts.problems.count + parts.training.files.count + (parts.test?.files.count ?? 0)
      log("\(folder): \(unreadable) of \(total) pictures unreadable, skipped")
    }
    let name = URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
    return ClassifiedDataset(training: training, test: test, classNames: parts.classNames, name: name)
  }

  /// The pictures of one part, decoded and laid out, with the unreadable ones marked.
  struct Decoded {
    let bytes: [UInt8]
    let readable: [Bool]
    let part: ImageFolderListing.Part
    var failures: Int { readable.count - readable.filter { $0 }.count }

    /// The readable pictures as labelled images; an error when a class has none.
    func images(classNames: [String]) throws -> LabeledImages {
      let p = MNISTShape.pixels
      var counts = [Int](repeating: 0, count: classNames.count)
      var images = [UInt8]()
      images.reserveCapacity((readable.count - failures) * p)
      var labels: [LabeledImages.Label] = []
      labels.reserveCapacity(readable.count - failures)
      for i in readable.indices where readable[i] {
        images += bytes[(i * p)..<((i + 1) * p)]
        labels.append(LabeledImages.Label(part.labels[i]))
        counts[part.labels[i]] += 1
      }
      for (folder, label) in part.classFolders where counts[label] == 0 {
        throw DigitsError.file(folder, "no readable picture in this class folder")
      }
      return LabeledImages(images: images, labels: labels, rows: MNISTShape.side, columns: MNISTShape.side)
    }
  }

  /// Decodes every file of `part` on all cores, a step at a time.
  static func decode(_ part: ImageFolderListing.Part, layout: ModelFile.Layout, log: (String) -> Void) throws -> Decoded
  {
    let p = MNISTShape.pixels
    let (size, overflow) = part.files.count.multipliedReportingOverflow(by: p)
    guard !overflow else { throw DigitsError.file(part.folder, "too many pictures") }
    var bytes = [UInt8](repeating: 0, count: size)
    var notes = [String?](repeating: nil, count: part.files.count)
    let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    let preprocessor = DigitPreprocessor()
    let showProgress = part.files.count >= progressThreshold
    for start in stride(from: 0, to: part.files.count, by: stepSize) {
      let end = min(part.files.count, start + stepSize)
      bytes.withUnsafeMutableBufferPointer { all in
        notes.withUnsafeMutableBufferPointer { allNotes in
          // Each worker writes only its own pictures' bytes and notes.
          nonisolated(unsafe) let base = all.baseAddress!
          nonisolated(unsafe) let noteBase = allNotes.baseAddress!
          DispatchQueue.concurrentPerform(iterations: min(workers, end - start)) { worker in
            for i in stride(from: start + worker, to: end, by: workers) {
              noteBase[i] = decodeOne(part.files[i], layout: layout, preprocessor: preprocessor, into: base + i * p)
            }
          }
        }
      }
      if showProgress { log("\(part.folder): \(end) of \(part.files.count) pictures read") }
    }
    for note in notes { if let note { log(note) } }
    return Decoded(bytes: bytes, readable: notes.map { $0 == nil }, part: part)
  }

  /// Reads one picture into 784 bytes at `out`; the one-line reason when it cannot be used.
  static func decodeOne(
    _ path: String, layout: ModelFile.Layout, preprocessor: DigitPreprocessor, into out: UnsafeMutablePointer<UInt8>
  ) -> String? {
    let image: GrayImage
    do {
      image = try ImageDecoder.read(path: path)
    } catch {
      return "\(error) (skipped)"
    }
    let (pixels, note) = layout.field(image, preprocessor: preprocessor)
    guard let pixels else { return "\(path): \(note ?? "no picture") (skipped)" }
    for i in 0..<MNISTShape.pixels { out[i] = UInt8((max(0, min(1, pixels[i])) * 255).rounded()) }
    return nil
  }
}
