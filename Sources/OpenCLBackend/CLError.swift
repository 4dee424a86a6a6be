/// Everything that can go wrong between this process and an OpenCL device, each with one
/// readable line (`description`) fit to show a user as is.
public enum CLError: Error, Sendable, Equatable, CustomStringConvertible {
  /// dlopen of the ICD loader failed: no libOpenCL.so.1 on this machine.
  case loaderNotFound(library: String, detail: String)
  /// The loader lacks an OpenCL 1.2 entry point.
  case missingEntryPoint(String)
  /// The loader found no platform (no ICD file names a driver): -1001, CL_PLATFORM_NOT_FOUND_KHR.
  case noPlatforms
  /// Platforms exist but none reports a device.
  case noDevices
  /// Automatic choice wanted a GPU and there is none (CPU OpenCL devices are used only when
  /// asked for by index).
  case noGPU(devices: [OpenCLDeviceInfo])
  /// `--device N` with N not in the list.
  case deviceIndexOutOfRange(index: Int, devices: [OpenCLDeviceInfo])
  /// An OpenCL call returned a status other than CL_SUCCESS.
  case call(String, status: Int32)
  /// The kernels did not compile for a device; `log` is the compiler's build log.
  case buildFailed(device: String, options: String, log: String)

  /// The OpenCL status code, when there is one.
  public var status: Int32? {
    switch self {
    case .noPlatforms: return -1001
    case .noDevices: return -1
    case .call(_, let status): return status
    case .buildFailed: return -11
    default: return nil
    }
  }

  public var description: String {
    switch self {
    case .loaderNotFound(let library, let detail):
      return "OpenCL is not installed: cannot load \(library) (\(detail)); install "
        + "ocl-icd-libopencl1 and a driver, e.g. pocl-opencl-icd or the GPU vendor's"
    case .missingEntryPoint(let name):
      return "the OpenCL loader has no \(name): an OpenCL 1.2 loader (ocl-icd-libopencl1) is needed"
    case .noPlatforms:
      return "no OpenCL platforms (CL_PLATFORM_NOT_FOUND_KHR, -1001): the loader found no driver; "
        + "install one, e.g. pocl-opencl-icd or the GPU vendor's, or check OCL_ICD_VENDORS"
    case .noDevices:
      return "no OpenCL devices: the installed OpenCL platforms report none"
    case .noGPU(let devices):
      return "no OpenCL GPU device; choose one by index to use another: "
        + OpenCLDeviceInfo.summary(devices)
    case .deviceIndexOutOfRange(let index, let devices):
      return "no OpenCL device \(index): " + OpenCLDeviceInfo.summary(devices)
    case .call(let call, let status):
      return "\(call) failed: \(CLError.name(of: status))"
    case .buildFailed(let device, let options, let log):
      return "OpenCL kernels failed to build for \(device) (options: \(options)):\n\(log)"
    }
  }

  /// The name and number of an OpenCL status code, e.g. "CL_OUT_OF_RESOURCES (-5)".
  public static func name(of status: Int32) -> String {
    "\(statusNames[status] ?? "unknown OpenCL status") (\(status))"
  }

  /// Every status code of the OpenCL 3.0 headers, the Khronos extensions and the vendors'
  /// extensions seen in the wild.
  public static let statusNames: [Int32: String] = [
    0: "CL_SUCCESS",
    -1: "CL_DEVICE_NOT_FOUND",
    -2: "CL_DEVICE_NOT_AVAILABLE",
    -3: "CL_COMPILER_NOT_AVAILABLE",
    -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE",
    -5: "CL_OUT_OF_RESOURCES",
    -6: "CL_OUT_OF_HOST_MEMORY",
    -7: "CL_PROFILING_INFO_NOT_AVAILABLE",
    -8: "CL_MEM_COPY_OVERLAP",
    -9: "CL_IMAGE_FORMAT_MISMATCH",
    -10: "CL_IMAGE_FORMAT_NOT_SUPPORTED",
    -11: "CL_BUILD_PROGRAM_FAILURE",
    -12: "CL_MAP_FAILURE",
    -13: "CL_MISALIGNED_SUB_BUFFER_OFFSET",
    -14: "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST",
    -15: "CL_COMPILE_PROGRAM_FAILURE",
    -16: "CL_LINKER_NOT_AVAILABLE",
    -17: "CL_LINK_PROGRAM_FAILURE",
    -18: "CL_DEVICE_PARTITION_FAILED",
    -19: "CL_KERNEL_ARG_INFO_NOT_AVAILABLE",
    -30: "CL_INVALID_VALUE",
    -31: "CL_INVALID_DEVICE_TYPE",
    -32: "CL_INVALID_PLATFORM",
    -33: "CL_INVALID_DEVICE",
    -34: "CL_INVALID_CONTEXT",
    -35: "CL_INVALID_QUEUE_PROPERTIES",
    -36: "CL_INVALID_COMMAND_QUEUE",
    -37: "CL_INVALID_HOST_PTR",
    -38: "CL_INVALID_MEM_OBJECT",
    -39: "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR",
    -40: "CL_INVALID_IMAGE_SIZE",
    -41: "CL_INVALID_SAMPLER",
    -42: "CL_INVALID_BINARY",
    -43: "CL_INVALID_BUILD_OPTIONS",
    -44: "CL_INVALID_PROGRAM",
    -45: "CL_INVALID_PROGRAM_EXECUTABLE",
    -46: "CL_INVALID_KERNEL_NAME",
    -47: "CL_INVALID_KERNEL_DEFINITION",
    -48: "CL_INVALID_KERNEL",
    -49: "CL_INVALID_ARG_INDEX",
    -50: "CL_INVALID_ARG_VALUE",
    -51: "CL_INVALID_ARG_SIZE",
    -52: "CL_INVALID_KERNEL_ARGS",
    -53: "CL_INVALID_WORK_DIMENSION",
    -54: "CL_INVALID_WORK_GROUP_SIZE",
    -55: "CL_INVALID_WORK_ITEM_SIZE",
    -56: "CL_INVALID_GLOBAL_OFFSET",
    -57: "CL_INVALID_EVENT_WAIT_LIST",
    -58: "CL_INVALID_EVENT",
    -59: "CL_INVALID_OPERATION",
    -60: "CL_INVALID_GL_OBJECT",
    -61: "CL_INVALID_BUFFER_SIZE",
    -62: "CL_INVALID_MIP_LEVEL",
    -63: "CL_INVALID_GLOBAL_WORK_SIZE",
    -64: "CL_INVALID_PROPERTY",
    -65: "CL_INVALID_IMAGE_DESCRIPTOR",
    -66: "CL_INVALID_COMPILER_OPTIONS",
    -67: "CL_INVALID_LINKER_OPTIONS",
    -68: "CL_INVALID_DEVICE_PARTITION_COUNT",
    -69: "CL_INVALID_PIPE_SIZE",
    -70: "CL_INVALID_DEVICE_QUEUE",
    -71: "CL_INVALID_SPEC_ID",
    -72: "CL_MAX_SIZE_RESTRICTION_EXCEEDED",
    -1000: "CL_INVALID_GL_SHAREGROUP_REFERENCE_KHR",
    -1001: "CL_PLATFORM_NOT_FOUND_KHR",
    -1002: "CL_INVALID_D3D10_DEVICE_KHR",
    -1003: "CL_INVALID_D3D10_RESOURCE_KHR",
    -1004: "CL_D3D10_RESOURCE_ALREADY_ACQUIRED_KHR",
    -1005: "CL_D3D10_RESOURCE_NOT_ACQUIRED_KHR",
    -1006: "CL_INVALID_D3D11_DEVICE_KHR",
    -1007: "CL_INVALID_D3D11_RESOURCE_KHR",
    -1008: "CL_D3D11_RESOURCE_ALREADY_ACQUIRED_KHR",
    -1009: "CL_D3D11_RESOURCE_NOT_ACQUIRED_KHR",
    -1010: "CL_INVALID_DX9_MEDIA_ADAPTER_KHR",
    -1011: "CL_INVALID_DX9_MEDIA_SURFACE_KHR",
    -1012: "CL_DX9_MEDIA_SURFACE_ALREADY_ACQUIRED_KHR",
    -1013: "CL_DX9_MEDIA_SURFACE_NOT_ACQUIRED_KHR",
    -1057: "CL_DEVICE_PARTITION_FAILED_EXT",
    -1058: "CL_INVALID_PARTITION_COUNT_EXT",
    -1059: "CL_INVALID_PARTITION_NAME_EXT",
    -1092: "CL_EGL_RESOURCE_NOT_ACQUIRED_KHR",
    -1093: "CL_INVALID_EGL_OBJECT_KHR",
    -1094: "CL_INVALID_ACCELERATOR_INTEL",
    -1095: "CL_INVALID_ACCELERATOR_TYPE_INTEL",
    -1096: "CL_INVALID_ACCELERATOR_DESCRIPTOR_INTEL",
    -1097: "CL_ACCELERATOR_TYPE_NOT_SUPPORTED_INTEL",
    -1098: "CL_INVALID_VA_API_MEDIA_ADAPTER_INTEL",
    -1099: "CL_INVALID_VA_API_MEDIA_SURFACE_INTEL",
    -1100: "CL_VA_API_MEDIA_SURFACE_ALREADY_ACQUIRED_INTEL",
    -1101: "CL_VA_API_MEDIA_SURFACE_NOT_ACQUIRED_INTEL",
    -1108: "CL_COMMAND_TERMINATED_ITSELF_WITH_FAILURE_ARM",
    -1121: "CL_CONTEXT_TERMINATED_KHR",
    -1138: "CL_INVALID_COMMAND_BUFFER_KHR",
    -1139: "CL_INVALID_SYNC_POINT_WAIT_LIST_KHR",
    -1140: "CL_INCOMPATIBLE_COMMAND_QUEUE_KHR",
    -1141: "CL_INVALID_MUTABLE_COMMAND_KHR",
    -1142: "CL_INVALID_SEMAPHORE_KHR",
    -9999: "NVIDIA: illegal memory access in a kernel",
  ]
}
