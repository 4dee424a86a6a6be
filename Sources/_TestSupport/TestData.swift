import Foundation

/// Paths of the shared test data, found from this file's location so tests run from any
/// working directory: the MNIST copy sits beside the package, at ../shared/datasets/mnist.
public enum TestData {
  public static let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  public static let mnistPath = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets/mnist")
    .path
}

/// A fresh folder under /tmp, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
  public let path: String
  public init() {
    path = NSTemporaryDirectory() + "digits-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }
  deinit { try? FileManager.default.removeItem(atPath: path) }
}
