import DigitsCore
import Foundation
import OpenCLBackend
import Testing
import _TestSupport

/// The OpenCL device the tests run on, and the policy when there is none: with CI=true every
/// OpenCL test runs and fails; otherwise they are skipped with `skipMessage`.
enum OpenCLTestDevice {
  static let isCI = TestEnvironment.isCI

  /// `$DIGITS_TEST_OPENCL_DEVICE` if set, else the first GPU, else device 0 (PoCL on a
  /// machine without a GPU).
  static let found: Result<OpenCLDeviceInfo, CLError> = Result { () throws(CLError) in
    let devices = try OpenCLDevices.list()
    if let text = ProcessInfo.processInfo.environment["DIGITS_TEST_OPENCL_DEVICE"], let i = Int(text) {
      guard devices.indices.contains(i) else { throw CLError.deviceIndexOutOfRange(index: i, devices: devices) }
      return devices[i]
    }
    return OpenCLDevices.autoChoice(in: devices) ?? devices[0]
  }

  static var isAvailable: Bool { (try? found.get()) != nil }
  /// Whether OpenCL tests run: when there is a device, and always on CI (where they fail).
  static var shouldRun: Bool { isAvailable || isCI }

  static var skipMessage: Comment {
    let reason: String
    switch found {
    case .success: reason = "device found"
    case .failure(let error): reason = error.description
    }
    return Comment(
      rawValue: "no OpenCL device, OpenCL tests skipped (\(reason)); "
        + "install pocl-opencl-icd to run them; with CI=true they fail instead")
  }

  /// A fresh backend on the test device (each test gets its own queue and kernels).
  static func backend(tuning: OpenCLTuning? = nil) throws -> OpenCLBackend {
    try OpenCLBackend(deviceIndex: found.get().index, tuning: tuning)
  }

  /// Tunings the op tests cover: the device's own choice, the GPU tiles (so GPU code paths
  /// run on PoCL too) and deliberately odd small tiles with many split-K slices and a tiny
  /// loss work-group.
  static let tunings: [OpenCLTuning?] = [
    nil,
    OpenCLTuning(
      tileM: 64, tileN: 64, tileK: 16, workPerItemM: 4, workPerItemN: 4, lossWorkGroup: 256, targetWorkGroups: 528),
    OpenCLTuning(
      tileM: 8, tileN: 16, tileK: 4, workPerItemM: 2, workPerItemN: 4, lossWorkGroup: 4, targetWorkGroups: 64),
  ]
}

/// Present in every run: on CI a missing device is a failure here too, not only a skip.
@Test func openCLDeviceIsAvailableOnCI() throws {
  if OpenCLTestDevice.isCI {
    let device = try OpenCLTestDevice.found.get()
    print("OpenCL tests run on \(device)")
  } else if !OpenCLTestDevice.isAvailable {
    print(OpenCLTestDevice.skipMessage.rawValue)
  }
}
