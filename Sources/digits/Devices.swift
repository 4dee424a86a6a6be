import ArgumentParser
import CPUBackend
import DigitsCore
import Foundation
import OpenCLBackend

extension Digits {
  struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List the OpenCL platforms and devices, and which one --backend auto uses.",
      discussion: """
        --check runs the OpenCL agreement tests on a device (every op, plain, fused and data,
        against a Float64 reference and the CPU backend, then training steps as train takes
        them against the CPU backend on MNIST digits) and exits 1 when it disagrees or MNIST
        cannot be read: for a GPU machine without Swift, where the test suite cannot run.

        Examples:
          digits devices
          digits devices --json
          digits devices --check --device 0 --data mnist
          OCL_ICD_VENDORS=/etc/OpenCL/vendors digits devices
        """)

    @Flag(
      help:
        "Print one JSON object: devices (index, platform, name, vendor, type, compute_units, memory_bytes, opencl_version), auto, cpu."
    )
    var json = false

    @Flag(help: "Check that OpenCL devices compute what the CPU backend computes (every device, or --device).")
    var check = false

    @Option(help: "With --check: only this device (an index from the listing).")
    var device: Int?

    @Option(help: "With --check: the MNIST folder for the training steps (default: as train finds it; required).")
    var data: String?

    func validate() throws {
      if !check && (device != nil || data != nil) { throw ValidationError("--device and --data go with --check") }
      if check && json { throw ValidationError("--check prints lines, not JSON; drop --json") }
    }

    func run() throws {
      if check { return try runCheck() }
      var devices: [OpenCLDeviceInfo] = []
      var problem: String?
      do {
        devices = try OpenCLDevices.list()
      } catch {
        problem = error.description
      }
      // `auto` does not ask OpenCL on a machine without a GPU device file (`BackendFactory`).
      let gpu = BackendFactory.mayHaveGPU()
      let auto = gpu ? OpenCLDevices.autoChoice(in: devices) : nil
      let threads = ProcessInfo.processInfo.activeProcessorCount
      let cpu: String
      do {
        cpu =
          "cpu (\(try CPUPath.fromEnvironment()), \(threads) thread\(threads == 1 ? "" : "s"); this CPU runs \(CPUPath.supported.map(\.rawValue).joined(separator: ", ")))"
      } catch {
        cpu = "cpu (unavailable: \(error.description))"
      }
      if json {
        let listing = DeviceListing(
          devices: devices.map(DeviceListing.Device.init), auto: auto.map { "opencl:\($0.index)" } ?? "cpu", cpu: cpu,
          problem: problem)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(listing)
        print(String(decoding: data, as: UTF8.self))
        return
      }
      if let problem { print("OpenCL: \(problem)") }
      for d in devices { print(d.description) }
      print("CPU backend: \(cpu)")
      if let auto {
        print("--backend auto uses OpenCL device \(auto.index) (\(auto.name))")
      } else {
        print(
          "--backend auto uses the CPU backend (\(gpu ? "no OpenCL GPU" : BackendFactory.noGPUDevice))"
            + (devices.isEmpty ? "" : "; pick a listed device with --device N"))
      }
    }
  }
}

/// `digits devices --json`: snake_case keys, `problem` only when OpenCL could not be asked.
struct DeviceListing: Encodable {
  struct Device: Encodable {
    let index: Int
    let platform: String
    let platformIndex: Int
    let name: String
    let vendor: String
    let type: String
    let computeUnits: Int
    let memoryBytes: UInt64
    let openclVersion: String
    let driverVersion: String

    enum CodingKeys: String, CodingKey {
      case index, platform, name, vendor, type
      case platformIndex = "platform_index", computeUnits = "compute_units", memoryBytes = "memory_bytes"
      case openclVersion = "opencl_version", driverVersion = "driver_version"
    }

    init(_ d: OpenCLDeviceInfo) {
      (index, platform, platformIndex, name, vendor) = (d.index, d.platformName, d.platformIndex, d.name, d.vendor)
      (type, computeUnits, memoryBytes) = (d.kind.rawValue, d.computeUnits, d.globalMemoryBytes)
      (openclVersion, driverVersion) = (d.openCLVersion, d.driverVersion)
    }
  }

  let devices: [Device]
  let auto: String
  let cpu: String
  let problem: String?
}

extension Digits.Devices {
  /// `--check`: every chosen device through `DeviceCheck`; fails when there is none to check
  /// or any disagrees.
  func runCheck() throws {
    let all = try OpenCLDevices.list()
    var chosen = all
    if let device {
      guard let found = all.first(where: { $0.index == device }) else {
        throw CLError.deviceIndexOutOfRange(index: device, devices: all)
      }
      chosen = [found]
    }
    if chosen.isEmpty { throw DigitsError("no OpenCL device to check") }
    // MNIST test digits for the training steps, from --data or where train finds them.
    let digits = try DatasetFolder.locate(option: data, testOnly: true).loadTest()
    guard digits.count >= DeviceCheck.digitsNeeded else {
      throw DigitsError(
        "\(data ?? "the MNIST folder"): \(digits.count) test digits; --check trains on \(DeviceCheck.digitsNeeded)")
    }
    var failed: [String] = []
    for info in chosen {
      let failures = try DeviceCheck.run(device: info, digits: digits)
      for failure in failures { print("  \(failure)") }
      if !failures.isEmpty { failed.append("\(info.index) (\(info.name))") }
    }
    if !failed.isEmpty {
      throw DigitsError(
        "OpenCL device \(failed.joined(separator: ", ")) disagrees with the CPU backend or the reference")
    }
    print("every checked device agrees with the CPU backend and the Float64 reference")
  }
}
