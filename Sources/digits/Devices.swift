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
        var object: [String: Any] = [
          "devices": devices.map { d -> [String: Any] in
            [
              "index": d.index, "platform": d.platformName, "platform_index": d.platformIndex, "name": d.name,
              "vendor": d.vendor, "type": d.kind.rawValue, "compute_units": d.computeUnits,
              "memory_bytes": d.globalMemoryBytes, "opencl_version": d.openCLVersion, "driver_version": d.driverVersion,
            ]
          },
          "auto": auto.map { "opencl:\($0.index)" } ?? "cpu",
          "cpu": cpu,
        ]
        if let problem { object["problem"] = problem }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
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
