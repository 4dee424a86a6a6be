import COpenCL
import Foundation
import Kernels

/// One OpenCL context on one device, with the kernel programs built for it. Contexts live for the whole process and are shared by every `OpenCLBackend` on the
/// same device, so each program is built once per device and tuning.
final class CLContext: @unchecked Sendable {
  let api: CLAPI
  let info: OpenCLDeviceInfo
  let device: cl_device_id
  let context: cl_context
  private var programs: [OpenCLTuning: CLProgram] = [:]
  private var defaultTuning: OpenCLTuning?
  private let lock = NSLock()

  private init(api: CLAPI, found: OpenCLDevices.Found) throws(CLError) {
    self.api = api
    self.info = found.info
    self.device = found.device
    var status: cl_int = 0
    var properties: [cl_context_properties] = [
      cl_context_properties(CL_CONTEXT_PLATFORM), Int(bitPattern: UnsafeRawPointer(found.platform)), 0,
    ]
    var devices: [cl_device_id?] = [found.device]
    let context = api.createContext(&properties, 1, &devices, nil, nil, &status)
    try CLAPI.check(status, "clCreateContext(\(found.info.name))")
    guard let context else { throw .call("clCreateContext(\(found.info.name))", status: -6) }
    self.context = context
  }

  private nonisolated(unsafe) static var contexts: [UInt: CLContext] = [:]
  private static let contextsLock = NSLock()

  /// The process's context on this device.
  static func shared(api: CLAPI, found: OpenCLDevices.Found) throws(CLError) -> CLContext {
    contextsLock.lock()
    defer { contextsLock.unlock() }
    let key = UInt(bitPattern: UnsafeRawPointer(found.device))
    if let context = contexts[key] { return context }
    let context = try CLContext(api: api, found: found)
    contexts[key] = context
    return context
  }

  /// The kernels built with `tuning`, or with the first of the device's candidate tunings
  /// that builds and fits, when nil.
  func program(tuning: OpenCLTuning?) throws(CLError) -> CLProgram {
    lock.lock()
    defer { lock.unlock() }
    if let tuning {
      if let problem = tuning.problem(on: info) {
        throw .call("OpenCL tuning \(tuning) on \(info.name): \(problem); clBuildProgram", status: -43)
      }
      return try built(tuning)
    }
    if let defaultTuning, let program = programs[defaultTuning] { return program }
    var firstError: CLError?
    for candidate in OpenCLTuning.candidates(for: info) where candidate.problem(on: info) == nil {
      do {
        let program = try built(candidate)
        if program.gemmWorkGroupLimit >= candidate.gemmWorkGroupSize {
          defaultTuning = candidate
          return program
        }
      } catch {
        firstError = firstError ?? error
      }
    }
    throw firstError ?? .call("choosing GEMM tiles for \(info.name): none fits; clBuildProgram", status: -54)
  }

  private func built(_ tuning: OpenCLTuning) throws(CLError) -> CLProgram {
    if let program = programs[tuning] { return program }
    let program = try CLProgram(context: self, tuning: tuning)
    programs[tuning] = program
    return program
  }
}

/// The kernel sources of Kernels/ built for one device with one tuning's -D options.
final class CLProgram: @unchecked Sendable {
  let program: cl_program
  let tuning: OpenCLTuning
  /// The largest work-group the GEMM kernels accept on this device.
  private(set) var gemmWorkGroupLimit = 0

  init(context: CLContext, tuning: OpenCLTuning) throws(CLError) {
    let api = context.api
    self.tuning = tuning
    let sources = KernelSources.all.map(\.source)
    var strings: [UnsafePointer<CChar>?] = sources.map { UnsafePointer(strdup($0)) }
    defer { for s in strings { free(UnsafeMutablePointer(mutating: s)) } }
    var lengths = sources.map { $0.utf8.count }
    var status: cl_int = 0
    let program = api.createProgramWithSource(
      context.context, cl_uint(strings.count), &strings, &lengths, &status)
    try CLAPI.check(status, "clCreateProgramWithSource")
    guard let program else { throw .call("clCreateProgramWithSource", status: -6) }
    self.program = program

    let options = "-cl-std=CL1.2 " + tuning.buildOptions
    var devices: [cl_device_id?] = [context.device]
    let buildStatus = api.buildProgram(program, 1, &devices, options, nil, nil)
    if buildStatus != CL_SUCCESS {
      let log = CLProgram.buildLog(api, program, context.device)
      _ = api.releaseProgram(program)
      if buildStatus == -11 { throw .buildFailed(device: context.info.name, options: options, log: log) }
      throw .call("clBuildProgram(\(context.info.name)): \(log)", status: buildStatus)
    }

    var gemmStatus: cl_int = 0
    if let kernel = api.createKernel(program, "conv2d_forward", &gemmStatus) {
      var limit = 0
      _ = api.getKernelWorkGroupInfo(
        kernel, context.device, cl_kernel_work_group_info(CL_KERNEL_WORK_GROUP_SIZE),
        MemoryLayout<Int>.size, &limit, nil)
      gemmWorkGroupLimit = limit
      _ = api.releaseKernel(kernel)
    }
  }

  static func buildLog(_ api: CLAPI, _ program: cl_program, _ device: cl_device_id) -> String {
    var size = 0
    let param = cl_program_build_info(CL_PROGRAM_BUILD_LOG)
    guard api.getProgramBuildInfo(program, device, param, 0, nil, &size) == CL_SUCCESS, size > 0
    else { return "(no build log)" }
    var bytes = [CChar](repeating: 0, count: size + 1)
    guard api.getProgramBuildInfo(program, device, param, size, &bytes, nil) == CL_SUCCESS
    else { return "(no build log)" }
    return bytes.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
