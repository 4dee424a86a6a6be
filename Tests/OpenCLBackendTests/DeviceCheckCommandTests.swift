import DigitsChecks
import Foundation
import Testing
import _TestSupport

/// `digits devices --check`, the OpenCL agreement tests as a command for a GPU machine
/// without Swift: on a device here every part is checked and agrees, and it exits 0; a
/// device that is not there, or MNIST that cannot be read, exits 1 with one line. Not on
/// rusticl, where the network-sized shapes take minutes.
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct DeviceCheckCommandTests {
  @Test(arguments: OpenCLTestDevice.indices.filter(OpenCLTestDevice.isFast))
  func checkAgreesOnADeviceHere(device: Int) throws {
    let run = try CLIRunner.run(["devices", "--check", "--device", "\(device)", "--data", TestData.mnistPath])
    #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
    let lines = run.stdout.split(separator: "\n")
    #expect(
      lines.filter { $0.contains("every op vs the Float64 reference") && $0.hasSuffix(": ok") }.count
        == BackendCheckShape.odd.count + BackendCheckShape.classCounts.count + BackendCheckShape.network.count)
    #expect(
      lines.contains { $0.contains("training steps as train takes them (batch 128") && $0.hasSuffix(": ok") },
      "\(run.stdout)")
    #expect(
      lines.contains {
        $0.contains("--recipe best steps (each batch augmented on the device)") && $0.hasSuffix(": ok")
      },
      "\(run.stdout)")
    #expect(!run.stdout.contains("FAILED"))
  }

  @Test func missingDeviceIsOneErrorLine() throws {
    let run = try CLIRunner.run(["devices", "--check", "--device", "99"])
    #expect(run.status == 1)
    #expect(run.stderr.split(separator: "\n").count == 1 && run.stderr.hasPrefix("Error: "), "\(run.stderr)")
  }

  /// No MNIST where --data says, or none where train looks (no --data, an empty home and no
  /// DIGITS_DATA): one line naming where it looked, exit 1, and no "agrees".
  @Test func unreadableMNISTIsOneErrorLine() throws {
    let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-mnist-\(getpid())").path
    try FileManager.default.createDirectory(atPath: missing, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: missing) }
    for (args, environment) in [
      (["devices", "--check", "--data", missing], [:]),
      (["devices", "--check"], ["HOME": missing, "DIGITS_DATA": ""]),
    ] {
      let run = try CLIRunner.run(args, environment: environment)
      #expect(run.status == 1, "\(args): \(run.stdout)")
      #expect(run.stderr.split(separator: "\n").count == 1 && run.stderr.contains(missing), "\(run.stderr)")
      #expect(!run.stdout.contains("agrees"), "\(run.stdout)")
    }
  }
}
