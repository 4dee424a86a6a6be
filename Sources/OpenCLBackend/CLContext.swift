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
  private var defaultTunings: [OpenCLLimits: OpenCLTuning] = [:]
  /// `OpenCLLimits.loopIterations` as the first backend measured it (nil inside: no limit).
  private var measuredLoopLimit: Int??
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
  /// that builds and fits, when nil. `limits` (the device's, or smaller ones a test asks
  /// for) bound the choice; an explicit tuning that does not fit them, or whose kernels the
  /// driver caps lower (CL_KERNEL_WORK_GROUP_SIZE), is refused with the reason.
  func program(tuning: OpenCLTuning?, limits: OpenCLLimits) throws(CLError) -> CLProgram {
    lock.lock()
    defer { lock.unlock() }
    if let tuning {
      if let problem = tuning.problem(within: limits) {
        throw .call("OpenCL tuning \(tuning) on \(info.name): \(problem); clBuildProgram", status: -54)
      }
      let program = try built(tuning)
      if let problem = program.problem(within: limits) {
        throw .call("OpenCL tuning \(tuning) on \(info.name): \(problem); clEnqueueNDRangeKernel", status: -54)
      }
      return program
    }
    if let chosen = defaultTunings[limits], let program = programs[chosen] { return program }
    var firstError: CLError?
    for var candidate in OpenCLTuning.candidates(for: info, within: limits)
    where candidate.problem(within: limits) == nil {
      do {
        var program = try built(candidate)
        // A driver may cap the loss kernel below the device's work-group size: rebuild
        // with a loss work-group it takes.
        if let loss = program.lossWorkGroupLimit, candidate.lossWorkGroup > loss {
          candidate.lossWorkGroup = OpenCLTuning.largestPowerOfTwo(atMost: loss)
          program = try built(candidate)
        }
        if program.problem(within: limits) == nil {
          defaultTunings[limits] = candidate
          return program
        }
      } catch {
        firstError = firstError ?? error
      }
    }
    throw firstError ?? .call("choosing GEMM tiles for \(info.name): none fits; clBuildProgram", status: -54)
  }

  /// The driver's loop limit (`OpenCLLimits.loopIterations`): `measure` runs once per
  /// device, the first time a backend asks.
  func loopIterations(measure: () throws(CLError) -> Int?) throws(CLError) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    if let measuredLoopLimit { return measuredLoopLimit }
    let found = try measure()
    measuredLoopLimit = .some(found)
    return found
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
  /// The largest work-group each kind of kernel accepts here (CL_KERNEL_WORK_GROUP_SIZE, the
  /// least over the kernels of that kind); nil when the driver did not say.
  private(set) var gemmWorkGroupLimit: Int?
  private(set) var lossWorkGroupLimit: Int?
  private(set) var elementwiseWorkGroupLimit: Int?
  private(set) var reduceWorkGroupLimit: Int?
  /// The most local memory any kernel uses (CL_KERNEL_LOCAL_MEM_SIZE); nil when unknown.
  private(set) var localMemoryBytes: UInt64?

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

    let options = "-cl-std=CL1.2 " + tuning.buildOptions + " " + KernelConstants.buildOptions
    var devices: [cl_device_id?] = [context.device]
    let buildStatus = api.buildProgram(program, 1, &devices, options, nil, nil)
    if buildStatus != CL_SUCCESS {
      let log = CLProgram.buildLog(api, program, context.device)
      _ = api.releaseProgram(program)
      if buildStatus == -11 { throw .buildFailed(device: context.info.name, options: options, log: log) }
      throw .call("clBuildProgram(\(context.info.name)): \(log)", status: buildStatus)
    }

    func kernelInfo<T: FixedWidthInteger>(_ name: CLKernels.Name, _ param: Int32, _: T.Type) -> T? {
      var status: cl_int = 0
      guard let kernel = api.createKernel(program, name.rawValue, &status) else { return nil }
      defer { _ = api.releaseKernel(kernel) }
      var value: T = 0
      let query = api.getKernelWorkGroupInfo(
        kernel, context.device, cl_kernel_work_group_info(param), MemoryLayout<T>.size, &value, nil)
      return query == CL_SUCCESS && value > 0 ? value : nil
    }
    func least(_ names: [CLKernels.Name]) -> Int? {
      names.compactMap { kernelInfo($0, CL_KERNEL_WORK_GROUP_SIZE, Int.self) }.min()
    }
    gemmWorkGroupLimit = least(CLKernels.Name.gemmKernels)
    lossWorkGroupLimit = least([.softmaxCrossEntropy])
    elementwiseWorkGroupLimit = least(CLKernels.Name.allCases.filter(\.isElementwise))
    reduceWorkGroupLimit = least(CLKernels.Name.reduceKernels)
    localMemoryBytes = CLKernels.Name.allCases.compactMap { kernelInfo($0, CL_KERNEL_LOCAL_MEM_SIZE, UInt64.self) }
      .max()
  }

  /// Why this program's kernels cannot run with its tuning within `limits`, or nil.
  func problem(within limits: OpenCLLimits) -> String? {
    tuning.problem(
      kernelWorkGroupSizes: gemmWorkGroupLimit, loss: lossWorkGroupLimit, localMemoryBytes: localMemoryBytes,
      within: limits)
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
