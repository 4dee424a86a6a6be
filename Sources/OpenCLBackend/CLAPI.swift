import COpenCL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The OpenCL 1.2 entry points this backend uses, looked up with dlsym in the ICD loader
/// (libOpenCL.so.1), which is opened with dlopen at run time. Nothing links libOpenCL, so
/// the binary starts, and trains on the CPU, on a machine with no OpenCL installed at all.
///
/// The loader name can be overridden with `DIGITS_OPENCL_LIBRARY` (a path or a soname).
struct CLAPI: @unchecked Sendable {
  typealias GetPlatformIDs =
    @convention(c) (
      cl_uint, UnsafeMutablePointer<cl_platform_id?>?, UnsafeMutablePointer<cl_uint>?
    ) -> cl_int
  typealias GetPlatformInfo =
    @convention(c) (
      cl_platform_id?, cl_platform_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?
    ) -> cl_int
  typealias GetDeviceIDs =
    @convention(c) (
      cl_platform_id?, cl_device_type, cl_uint, UnsafeMutablePointer<cl_device_id?>?,
      UnsafeMutablePointer<cl_uint>?
    ) -> cl_int
  typealias GetDeviceInfo =
    @convention(c) (
      cl_device_id?, cl_device_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?
    ) -> cl_int
  /// The notification callback slot is declared as a raw pointer: we always pass nil.
  typealias CreateContext =
    @convention(c) (
      UnsafePointer<cl_context_properties>?, cl_uint, UnsafePointer<cl_device_id?>?,
      UnsafeRawPointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<cl_int>?
    ) -> cl_context?
  typealias ReleaseContext = @convention(c) (cl_context?) -> cl_int
  typealias CreateCommandQueue =
    @convention(c) (
      cl_context?, cl_device_id?, cl_command_queue_properties, UnsafeMutablePointer<cl_int>?
    ) -> cl_command_queue?
  typealias ReleaseCommandQueue = @convention(c) (cl_command_queue?) -> cl_int
  typealias CreateBuffer =
    @convention(c) (
      cl_context?, cl_mem_flags, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<cl_int>?
    ) -> cl_mem?
  typealias ReleaseMemObject = @convention(c) (cl_mem?) -> cl_int
  typealias EnqueueWriteBuffer =
    @convention(c) (
      cl_command_queue?, cl_mem?, cl_bool, Int, Int, UnsafeRawPointer?, cl_uint,
      UnsafePointer<cl_event?>?, UnsafeMutablePointer<cl_event?>?
    ) -> cl_int
  typealias EnqueueReadBuffer =
    @convention(c) (
      cl_command_queue?, cl_mem?, cl_bool, Int, Int, UnsafeMutableRawPointer?, cl_uint,
      UnsafePointer<cl_event?>?, UnsafeMutablePointer<cl_event?>?
    ) -> cl_int
  typealias EnqueueFillBuffer =
    @convention(c) (
      cl_command_queue?, cl_mem?, UnsafeRawPointer?, Int, Int, Int, cl_uint,
      UnsafePointer<cl_event?>?, UnsafeMutablePointer<cl_event?>?
    ) -> cl_int
  typealias CreateProgramWithSource =
    @convention(c) (
      cl_context?, cl_uint, UnsafeMutablePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int>?,
      UnsafeMutablePointer<cl_int>?
    ) -> cl_program?
  typealias BuildProgram =
    @convention(c) (
      cl_program?, cl_uint, UnsafePointer<cl_device_id?>?, UnsafePointer<CChar>?,
      UnsafeRawPointer?, UnsafeMutableRawPointer?
    ) -> cl_int
  typealias GetProgramBuildInfo =
    @convention(c) (
      cl_program?, cl_device_id?, cl_program_build_info, Int, UnsafeMutableRawPointer?,
      UnsafeMutablePointer<Int>?
    ) -> cl_int
  typealias ReleaseProgram = @convention(c) (cl_program?) -> cl_int
  typealias CreateKernel =
    @convention(c) (
      cl_program?, UnsafePointer<CChar>?, UnsafeMutablePointer<cl_int>?
    ) -> cl_kernel?
  typealias ReleaseKernel = @convention(c) (cl_kernel?) -> cl_int
  typealias SetKernelArg = @convention(c) (cl_kernel?, cl_uint, Int, UnsafeRawPointer?) -> cl_int
  typealias GetKernelInfo =
    @convention(c) (cl_kernel?, cl_kernel_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
  typealias GetKernelWorkGroupInfo =
    @convention(c) (
      cl_kernel?, cl_device_id?, cl_kernel_work_group_info, Int, UnsafeMutableRawPointer?,
      UnsafeMutablePointer<Int>?
    ) -> cl_int
  typealias EnqueueNDRangeKernel =
    @convention(c) (
      cl_command_queue?, cl_kernel?, cl_uint, UnsafePointer<Int>?, UnsafePointer<Int>?,
      UnsafePointer<Int>?, cl_uint, UnsafePointer<cl_event?>?, UnsafeMutablePointer<cl_event?>?
    ) -> cl_int
  typealias Finish = @convention(c) (cl_command_queue?) -> cl_int
  typealias Flush = @convention(c) (cl_command_queue?) -> cl_int
  typealias ReleaseEvent = @convention(c) (cl_event?) -> cl_int
  typealias WaitForEvents = @convention(c) (cl_uint, UnsafePointer<cl_event?>?) -> cl_int
  typealias GetEventProfilingInfo =
    @convention(c) (cl_event?, cl_profiling_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int

  let getPlatformIDs: GetPlatformIDs
  let getPlatformInfo: GetPlatformInfo
  let getDeviceIDs: GetDeviceIDs
  let getDeviceInfo: GetDeviceInfo
  let createContext: CreateContext
  let releaseContext: ReleaseContext
  let createCommandQueue: CreateCommandQueue
  let releaseCommandQueue: ReleaseCommandQueue
  let createBuffer: CreateBuffer
  let releaseMemObject: ReleaseMemObject
  let enqueueWriteBuffer: EnqueueWriteBuffer
  let enqueueReadBuffer: EnqueueReadBuffer
  let enqueueFillBuffer: EnqueueFillBuffer
  let createProgramWithSource: CreateProgramWithSource
  let buildProgram: BuildProgram
  let getProgramBuildInfo: GetProgramBuildInfo
  let releaseProgram: ReleaseProgram
  let createKernel: CreateKernel
  let releaseKernel: ReleaseKernel
  let setKernelArg: SetKernelArg
  let getKernelInfo: GetKernelInfo
  let getKernelWorkGroupInfo: GetKernelWorkGroupInfo
  let enqueueNDRangeKernel: EnqueueNDRangeKernel
  let finish: Finish
  let flush: Flush
  let releaseEvent: ReleaseEvent
  let waitForEvents: WaitForEvents
  let getEventProfilingInfo: GetEventProfilingInfo

  #if os(macOS)
    static let defaultLibrary = "/System/Library/Frameworks/OpenCL.framework/OpenCL"
  #else
    static let defaultLibrary = "libOpenCL.so.1"
  #endif

  /// Opens the loader and resolves every entry point, or says what is missing.
  init(library: String) throws(CLError) {
    guard let handle = dlopen(library, RTLD_NOW | RTLD_LOCAL) else {
      let detail = dlerror().map { String(cString: $0) } ?? library
      throw CLError.loaderNotFound(library: library, detail: detail)
    }
    // NOTE: the handle is never closed: the loader's state lives as long as the process.
    func symbol<T>(_ name: String, as type: T.Type) throws(CLError) -> T {
      guard let address = dlsym(handle, name) else { throw CLError.missingEntryPoint(name) }
      return unsafeBitCast(address, to: type)
    }
    getPlatformIDs = try symbol("clGetPlatformIDs", as: GetPlatformIDs.self)
    getPlatformInfo = try symbol("clGetPlatformInfo", as: GetPlatformInfo.self)
    getDeviceIDs = try symbol("clGetDeviceIDs", as: GetDeviceIDs.self)
    getDeviceInfo = try symbol("clGetDeviceInfo", as: GetDeviceInfo.self)
    createContext = try symbol("clCreateContext", as: CreateContext.self)
    releaseContext = try symbol("clReleaseContext", as: ReleaseContext.self)
    createCommandQueue = try symbol("clCreateCommandQueue", as: CreateCommandQueue.self)
    releaseCommandQueue = try symbol("clReleaseCommandQueue", as: ReleaseCommandQueue.self)
    createBuffer = try symbol("clCreateBuffer", as: CreateBuffer.self)
    releaseMemObject = try symbol("clReleaseMemObject", as: ReleaseMemObject.self)
    enqueueWriteBuffer = try symbol("clEnqueueWriteBuffer", as: EnqueueWriteBuffer.self)
    enqueueReadBuffer = try symbol("clEnqueueReadBuffer", as: EnqueueReadBuffer.self)
    enqueueFillBuffer = try symbol("clEnqueueFillBuffer", as: EnqueueFillBuffer.self)
    createProgramWithSource = try symbol("clCreateProgramWithSource", as: CreateProgramWithSource.self)
    buildProgram = try symbol("clBuildProgram", as: BuildProgram.self)
    getProgramBuildInfo = try symbol("clGetProgramBuildInfo", as: GetProgramBuildInfo.self)
    releaseProgram = try symbol("clReleaseProgram", as: ReleaseProgram.self)
    createKernel = try symbol("clCreateKernel", as: CreateKernel.self)
    releaseKernel = try symbol("clReleaseKernel", as: ReleaseKernel.self)
    setKernelArg = try symbol("clSetKernelArg", as: SetKernelArg.self)
    getKernelInfo = try symbol("clGetKernelInfo", as: GetKernelInfo.self)
    getKernelWorkGroupInfo = try symbol("clGetKernelWorkGroupInfo", as: GetKernelWorkGroupInfo.self)
    enqueueNDRangeKernel = try symbol("clEnqueueNDRangeKernel", as: EnqueueNDRangeKernel.self)
    finish = try symbol("clFinish", as: Finish.self)
    flush = try symbol("clFlush", as: Flush.self)
    releaseEvent = try symbol("clReleaseEvent", as: ReleaseEvent.self)
    waitForEvents = try symbol("clWaitForEvents", as: WaitForEvents.self)
    getEventProfilingInfo = try symbol("clGetEventProfilingInfo", as: GetEventProfilingInfo.self)
  }

  /// The process-wide loader, opened on first use. The outcome (including failure) is kept:
  /// the ICD loader reads its vendor list once per process anyway.
  static let shared: Result<CLAPI, CLError> = {
    let library = getenv("DIGITS_OPENCL_LIBRARY").map { String(cString: $0) } ?? defaultLibrary
    return Result { () throws(CLError) in try CLAPI(library: library) }
  }()

  /// Throws `CLError.call` naming the call and the status when `status` is not CL_SUCCESS.
  @inline(__always)
  static func check(_ status: cl_int, _ call: @autoclosure () -> String) throws(CLError) {
    if status != CL_SUCCESS { throw CLError.call(call(), status: status) }
  }
}
