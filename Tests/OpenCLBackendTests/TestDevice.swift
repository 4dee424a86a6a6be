import DigitsCore
import Foundation
import OpenCLBackend
import Testing
import _TestSupport

/// The OpenCL devices the tests run on, and the policy when there is none: with CI=true every
/// OpenCL test runs and fails; otherwise they are skipped with `skipMessage`.
///
/// Every OpenCL test runs once per device present (Swift Testing arguments), so PoCL and
/// Mesa's rusticl (`RUSTICL_ENABLE=llvmpipe`) are both covered. A device's driver is told
/// by its platform name (CL_PLATFORM_NAME): "Portable Computing Language" is PoCL, "rusticl"
/// is rusticl. On CI both must be present (`requiredDriversArePresentOnCI`).
enum OpenCLTestDevice {
  static let isCI = TestEnvironment.isCI

  enum Driver: String, CaseIterable { case pocl, rusticl, other }

  static func driver(of device: OpenCLDeviceInfo) -> Driver {
    if device.platformName.contains("Portable Computing Language") { return .pocl }
    if device.platformName.lowercased().contains("rusticl") { return .rusticl }
    return .other
  }

  /// Every device (or only `$DIGITS_TEST_OPENCL_DEVICE` when it is set).
  static let listed: Result<[OpenCLDeviceInfo], CLError> = Result { () throws(CLError) in
    let devices = try OpenCLDevices.list()
    if let text = ProcessInfo.processInfo.environment["DIGITS_TEST_OPENCL_DEVICE"], let i = Int(text) {
      guard devices.indices.contains(i) else { throw CLError.deviceIndexOutOfRange(index: i, devices: devices) }
      return [devices[i]]
    }
    return devices
  }

  static var devices: [OpenCLDeviceInfo] { (try? listed.get()) ?? [] }
  static var isAvailable: Bool { !devices.isEmpty }
  /// Whether OpenCL tests run: when there is a device, and always on CI (where they fail).
  static var shouldRun: Bool { isAvailable || isCI }

  /// Test arguments: the index of every device; on CI without one, -1, whose backend throws
  /// the reason, so every test fails instead of vanishing.
  static var indices: [Int] { isAvailable ? devices.map(\.index) : [-1] }

  /// The first device (the single-device tests: discovery, faults).
  static let found: Result<OpenCLDeviceInfo, CLError> = listed.map { $0[0] }

  static var skipMessage: Comment {
    let reason: String
    switch listed {
    case .success: reason = "device found"
    case .failure(let error): reason = error.description
    }
    return Comment(
      rawValue: "no OpenCL device, OpenCL tests skipped (\(reason)); "
        + "install pocl-opencl-icd (and mesa-opencl-icd with RUSTICL_ENABLE=llvmpipe) to run them; "
        + "with CI=true they fail instead")
  }

  static func info(_ index: Int) throws -> OpenCLDeviceInfo {
    let all = try listed.get()
    guard let device = all.first(where: { $0.index == index }) else {
      throw CLError.deviceIndexOutOfRange(index: index, devices: all)
    }
    return device
  }

  /// Whether `device` gets the full shapes: PoCL and GPUs do; rusticl's llvmpipe runs each
  /// work-item as a coroutine and is 10-50x slower, so it gets the small shapes only.
  static func isFast(_ index: Int) -> Bool { (try? driver(of: info(index))) != .rusticl }

  /// A fresh backend on device `index` (each test gets its own queue and kernels).
  static func backend(_ index: Int, tuning: OpenCLTuning? = nil, limits: OpenCLLimits? = nil) throws -> OpenCLBackend {
    try OpenCLBackend(deviceIndex: info(index).index, tuning: tuning, limits: limits)
  }

  /// A fresh backend on the first device.
  static func backend(tuning: OpenCLTuning? = nil) throws -> OpenCLBackend {
    try OpenCLBackend(deviceIndex: found.get().index, tuning: tuning)
  }

  /// Tunings the op tests cover: the device's own choice, the GPU tiles (so GPU code paths
  /// run on CPU drivers too) and deliberately odd small tiles with many split-K slices and a
  /// tiny loss work-group, and the GPU tiles planned as on an H200, so the narrow tiles and
  /// the split dense forward run too. A tuning the device (or its driver's kernels) cannot take is
  /// refused by the backend, and is left out here for that device.
  static let tunings: [OpenCLTuning?] = [
    nil,
    OpenCLTuning(
      tileM: 64, tileN: 64, tileK: 16, workPerItemM: 4, workPerItemN: 4, lossWorkGroup: 256, targetWorkGroups: 528),
    OpenCLTuning(
      tileM: 8, tileN: 16, tileK: 4, workPerItemM: 2, workPerItemN: 4, lossWorkGroup: 4, targetWorkGroups: 64),
    OpenCLTuning.h200,
  ]

  /// One device with one of `tunings`: the first argument of the op tests.
  struct Target: Sendable, CustomTestStringConvertible {
    let device: Int
    let tuning: Int
    var testDescription: String {
      let name = (try? OpenCLTestDevice.info(device)).map { "\(OpenCLTestDevice.driver(of: $0))" } ?? "none"
      return "device \(device) (\(name)), tuning \(tuning)"
    }
    func backend() throws -> OpenCLBackend {
      try OpenCLTestDevice.backend(device, tuning: OpenCLTestDevice.tunings[tuning])
    }
    var isFast: Bool { OpenCLTestDevice.isFast(device) }
  }

  /// Every device with every tuning it can take (`tuningIndices` of `tunings`).
  static func targets(tunings tuningIndices: [Int] = Array(tunings.indices)) -> [Target] {
    indices.flatMap { device in
      tuningIndices.filter { fits(tunings[$0], on: device) }.map { Target(device: device, tuning: $0) }
    }
  }

  /// Whether the backend takes `tuning` on `device` (nil always fits; a device that is
  /// missing is kept, so the test fails naming why).
  static func fits(_ tuning: OpenCLTuning?, on device: Int) -> Bool {
    guard let tuning, device >= 0 else { return true }
    return (try? OpenCLBackend(deviceIndex: device, tuning: tuning)) != nil
  }
}

extension OpenCLTuning {
  /// The GPU tiles as an H200 would plan them: 132 compute units to fill, 528 work-groups
  /// for split-K weight gradients.
  static let h200 = OpenCLTuning(
    tileM: 64, tileN: 64, tileK: 16, workPerItemM: 4, workPerItemN: 4, lossWorkGroup: 256, targetWorkGroups: 528,
    fillWorkGroups: 132)
}

extension OpenCLTuning {
  /// What Mesa's rusticl on llvmpipe (8 compute units, 32 work-items a GEMM group) chooses,
  /// to run its plans on other drivers; with `OpenCLLimits.llvmpipe` they plan alike.
  static let rusticl = OpenCLTuning(
    tileM: 16, tileN: 32, tileK: 16, workPerItemM: 4, workPerItemN: 4, lossWorkGroup: 32, targetWorkGroups: 32,
    fillWorkGroups: 8)
}

extension OpenCLLimits {
  /// llvmpipe's loop limit: every loop of a work-item ends after 65535 iterations in all.
  static let llvmpipe = OpenCLLimits(loopIterations: 65535)
}

/// Present in every run: on CI a missing device is a failure here too, not only a skip.
@Test func openCLDeviceIsAvailableOnCI() throws {
  if OpenCLTestDevice.isCI {
    let devices = try OpenCLTestDevice.listed.get()
    print("OpenCL tests run on \(devices)")
  } else if !OpenCLTestDevice.isAvailable {
    print(OpenCLTestDevice.skipMessage.rawValue)
  }
}

/// On CI both drivers must be there: PoCL (platform "Portable Computing Language") and Mesa's
/// rusticl (platform "rusticl", needs RUSTICL_ENABLE=llvmpipe), unless one device was picked
/// with DIGITS_TEST_OPENCL_DEVICE.
@Test func requiredDriversArePresentOnCI() throws {
  let picked = ProcessInfo.processInfo.environment["DIGITS_TEST_OPENCL_DEVICE"] != nil
  guard OpenCLTestDevice.isCI, !picked else { return }
  let drivers = Set(try OpenCLDevices.list().map(OpenCLTestDevice.driver(of:)))
  #expect(drivers.contains(.pocl), "CI=true but no PoCL device (platform \"Portable Computing Language\")")
  #expect(
    drivers.contains(.rusticl),
    "CI=true but no rusticl device: install mesa-opencl-icd and export RUSTICL_ENABLE=llvmpipe")
}
