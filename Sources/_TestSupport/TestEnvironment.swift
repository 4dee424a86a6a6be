import DigitsCore
import Foundation
import Testing

/// How the tests learn about the machine they run on.
public enum TestEnvironment {
  /// True on a CI machine: `CI` set to anything but "", "false" or "0" (GitHub sets "true",
  /// other services "1" or their name). There a test that would skip for want of a device,
  /// a tool or a file fails instead.
  public static let isCI = isCI(ProcessInfo.processInfo.environment["CI"])

  public static func isCI(_ value: String?) -> Bool {
    guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return false }
    return value.lowercased() != "false" && value != "0"
  }
}

extension TestData {
  /// The MNIST test set (10,000 images), loaded once per test process.
  public static let mnistTest = loadMNIST("test", count: 10_000) { try $0.loadTest() }
  /// The MNIST training set (60,000 images), loaded once per test process.
  public static let mnistTraining = loadMNIST("training", count: 60_000) { try $0.loadTraining() }

  /// Loads a set from `mnistPath`. When it is missing or bad this records a test failure
  /// naming the path and returns `count` blank images labelled 0, so the tests that need
  /// the data fail with that message instead of a `try!` crashing the whole test binary.
  static func loadMNIST(_ part: String, count: Int, _ load: (DatasetFolder) throws -> LabeledImages) -> LabeledImages {
    do {
      return try load(DatasetFolder(path: mnistPath))
    } catch {
      Issue.record("MNIST \(part) data missing at \(mnistPath): \(error)")
      return LabeledImages(
        images: [UInt8](repeating: 0, count: count * MNISTShape.pixels),
        labels: [LabeledImages.Label](repeating: 0, count: count),
        rows: MNISTShape.side, columns: MNISTShape.side)
    }
  }
}
