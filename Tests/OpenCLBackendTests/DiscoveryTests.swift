import DigitsCore
import Foundation
import OpenCLBackend
import Testing
import _TestSupport

/// Device discovery and the errors a user sees.
struct DiscoveryTests {
  @Test func statusTableNamesEveryCode() {
    #expect(CLError.name(of: 0) == "CL_SUCCESS (0)")
    #expect(CLError.name(of: -5) == "CL_OUT_OF_RESOURCES (-5)")
    #expect(CLError.name(of: -54) == "CL_INVALID_WORK_GROUP_SIZE (-54)")
    #expect(CLError.name(of: -1001) == "CL_PLATFORM_NOT_FOUND_KHR (-1001)")
    #expect(CLError.name(of: -12345) == "unknown OpenCL status (-12345)")
    // Every code from 0 down to -72 (the core API) has a name, gaps of the headers aside.
    for code in Int32(-72)...0 where !(-29 ... -20).contains(code) {
      #expect(CLError.statusNames[code] != nil, "no name for \(code)")
    }
  }

  @Test func errorsReadAsOneLine() {
    let loader = CLError.loaderNotFound(library: "libOpenCL.so.1", detail: "cannot open shared object file")
    #expect(loader.description.contains("install ocl-icd-libopencl1 and a driver"))
    #expect(loader.description.contains("pocl-opencl-icd"))
    #expect(CLError.noPlatforms.description.contains("-1001"))
    #expect(CLError.noPlatforms.status == -1001)
    #expect(
      CLError.call("clCreateBuffer", status: -4).description
        == "clCreateBuffer failed: CL_MEM_OBJECT_ALLOCATION_FAILURE (-4)")
    for error in [loader, .noPlatforms, .noDevices, .call("clFinish", status: -36)] {
      #expect(!error.description.contains("\n"), "\(error)")
    }
  }

  @Test(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
  func listsDevicesWithAutoChoice() throws {
    let devices = try OpenCLDevices.list()
    #expect(!devices.isEmpty)
    #expect(devices.map(\.index) == Array(devices.indices))
    for device in devices {
      #expect(!device.name.isEmpty && device.computeUnits > 0 && device.globalMemoryBytes > 0)
      #expect(device.openCLVersion.hasPrefix("OpenCL "), "\(device.openCLVersion)")
      #expect(device.maxWorkGroupSize > 0 && device.localMemoryBytes > 0)
    }
    let auto = devices.filter(\.isAutoChoice)
    #expect(auto.count <= 1)
    #expect(auto.first == OpenCLDevices.autoChoice(in: devices))
    #expect(auto.first?.index == devices.first(where: { $0.kind == .gpu })?.index)
  }

  @Test(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
  func indexOutOfRangeListsTheDevices() throws {
    let devices = try OpenCLDevices.list()
    #expect(throws: CLError.deviceIndexOutOfRange(index: devices.count, devices: devices)) {
      _ = try OpenCLBackend(deviceIndex: devices.count)
    }
    let message = CLError.deviceIndexOutOfRange(index: devices.count, devices: devices).description
    #expect(message.contains(devices[0].name))
  }

  @Test(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
  func autoWithoutGPUSaysSo() throws {
    let devices = try OpenCLDevices.list()
    if OpenCLDevices.autoChoice(in: devices) == nil {
      #expect(throws: CLError.noGPU(devices: devices)) { _ = try OpenCLBackend() }
    } else {
      #expect(try OpenCLBackend().device.isAutoChoice)
    }
  }

  @Test(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
  func badTuningIsRefused() throws {
    let device = try OpenCLTestDevice.found.get()
    let huge = OpenCLTuning(tileM: 4096, tileN: 4096, tileK: 8, workPerItemM: 1, workPerItemN: 1)
    #expect(throws: CLError.self) { _ = try OpenCLBackend(deviceIndex: device.index, tuning: huge) }
  }

  // MARK: - Discovery in a process whose loader finds nothing

  /// The ICD loader reads OCL_ICD_VENDORS once per process, when it is first used, and other
  /// tests in this process use it concurrently; setenv here would race with them and come
  /// too late. So the test binary runs itself again with the variable set from the start,
  /// and only `discoveryChild` runs there.
  static func discoverInChild(environment extra: [String: String]) throws -> String {
    let dir = NSTemporaryDirectory() + "digits-ocl-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let out = dir + "/result.txt"
    let process = Process()
    let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["--testing-library", "swift-testing", "--filter", "discoveryChild"]
    var environment = ProcessInfo.processInfo.environment
    environment["DIGITS_OCL_CHILD_RESULT"] = out
    for (key, value) in extra { environment[key] = value.replacingOccurrences(of: "$DIR", with: dir) }
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(
      process.terminationReason == .exit && process.terminationStatus == 0, "child exited \(process.terminationStatus)")
    return try String(contentsOfFile: out, encoding: .utf8)
  }

  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/exe")))
  func emptyVendorFolderMeansNoPlatforms() throws {
    let result = try Self.discoverInChild(environment: ["OCL_ICD_VENDORS": "$DIR"])
    if result.hasPrefix("loaderNotFound") {
      // No libOpenCL.so.1 on this machine at all: that error is the right one here, but not
      // in CI, which installs the loader and must test the no-platform path.
      #expect(!TestEnvironment.isCI, "CI has no OpenCL loader: \(result)")
      return
    }
    #expect(result == "noPlatforms: " + CLError.noPlatforms.description)
  }

  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/exe")))
  func missingLoaderIsExplained() throws {
    let result = try Self.discoverInChild(environment: ["DIGITS_OPENCL_LIBRARY": "$DIR/libOpenCL.so.1"])
    #expect(result.hasPrefix("loaderNotFound: OpenCL is not installed"), "\(result)")
    #expect(result.contains("install ocl-icd-libopencl1 and a driver"))
  }

  /// Runs only in the child process of the tests above; records what discovery said.
  @Test(
    .enabled(
      if: ProcessInfo.processInfo.environment["DIGITS_OCL_CHILD_RESULT"] != nil,
      "runs only as the child process of the no-platform tests"))
  func discoveryChild() throws {
    let path = try #require(ProcessInfo.processInfo.environment["DIGITS_OCL_CHILD_RESULT"])
    let result: String
    do {
      result = "devices: \(try OpenCLDevices.list().count)"
    } catch {
      switch error {
      case .loaderNotFound: result = "loaderNotFound: \(error)"
      case .noPlatforms: result = "noPlatforms: \(error)"
      case .noDevices: result = "noDevices: \(error)"
      default: result = "other: \(error)"
      }
    }
    try result.write(toFile: path, atomically: true, encoding: .utf8)
  }
}
