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
        Examples:
          digits devices
          digits devices --json
          OCL_ICD_VENDORS=/etc/OpenCL/vendors digits devices
        """)

    @Flag(
      help:
        "Print one JSON object: devices (index, platform, name, vendor, type, compute_units, memory_bytes, opencl_version), auto, cpu."
    )
    var json = false

    func run() throws {
      var devices: [OpenCLDeviceInfo] = []
      var problem: String?
      do {
        devices = try OpenCLDevices.list()
      } catch {
        problem = error.description
      }
      let auto = OpenCLDevices.autoChoice(in: devices)
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
          "--backend auto uses the CPU backend (no OpenCL GPU)"
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
