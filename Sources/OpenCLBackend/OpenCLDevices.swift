import COpenCL
import Foundation

/// One OpenCL device as `digits devices` shows it.
public struct OpenCLDeviceInfo: Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Sendable { case gpu, cpu, accelerator, other }

  /// Position in `OpenCLDevices.list()`: the N of `--device N`.
  public let index: Int
  public let platformIndex: Int
  public let platformName: String
  /// Position among its platform's devices.
  public let deviceIndex: Int
  public let name: String
  public let vendor: String
  public let kind: Kind
  public let computeUnits: Int
  public let globalMemoryBytes: UInt64
  public let localMemoryBytes: UInt64
  public let maxWorkGroupSize: Int
  /// The limits tiles are planned with; a query that failed is nil here (unknown).
  public let limits: OpenCLLimits
  /// CL_DEVICE_VERSION, e.g. "OpenCL 3.0 CUDA" or "OpenCL 3.0 PoCL 3.1 ...".
  public let openCLVersion: String
  public let driverVersion: String
  /// Whether `auto` picks this device: the first GPU.
  public let isAutoChoice: Bool

  public var description: String {
    let memory = Double(globalMemoryBytes) / 1_073_741_824
    let mark = isAutoChoice ? " [auto]" : ""
    return "\(index): \(name) (\(kind.rawValue), \(vendor), \(computeUnits) compute units, "
      + "\(String(format: "%.1f", memory)) GiB, \(openCLVersion), platform \(platformIndex) "
      + "\(platformName))\(mark)"
  }

  /// "devices: 0: name (cpu); 1: ..." for error messages.
  static func summary(_ devices: [OpenCLDeviceInfo]) -> String {
    if devices.isEmpty { return "there are no OpenCL devices" }
    return "devices are "
      + devices.map { "\($0.index): \($0.name) (\($0.kind.rawValue))" }.joined(separator: "; ")
  }
}

/// Platform and device discovery.
public enum OpenCLDevices {
  /// Every device of every platform, in platform order. Throws `CLError.loaderNotFound`
  /// without libOpenCL.so.1, `.noPlatforms` when the loader finds no driver, `.noDevices`
  /// when the drivers report none.
  public static func list() throws(CLError) -> [OpenCLDeviceInfo] {
    try discover(api: CLAPI.shared.get()).map(\.info)
  }

  /// The device `auto` would use: the first GPU, or nil.
  public static func autoChoice(in devices: [OpenCLDeviceInfo]) -> OpenCLDeviceInfo? {
    devices.first { $0.kind == .gpu }
  }

  struct Found {
    let info: OpenCLDeviceInfo
    let platform: cl_platform_id
    let device: cl_device_id
  }

  static func discover(api: CLAPI) throws(CLError) -> [Found] {
    var platformCount: cl_uint = 0
    let status = api.getPlatformIDs(0, nil, &platformCount)
    if status == -1001 || (status == CL_SUCCESS && platformCount == 0) { throw .noPlatforms }
    try CLAPI.check(status, "clGetPlatformIDs")
    var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
    try CLAPI.check(api.getPlatformIDs(platformCount, &platforms, nil), "clGetPlatformIDs")

    var found: [Found] = []
    var sawGPU = false
    for (p, platform) in platforms.enumerated() {
      guard let platform else { continue }
      let platformName = platformString(api, platform, cl_platform_info(CL_PLATFORM_NAME))
      var deviceCount: cl_uint = 0
      // A platform with no devices (-1, CL_DEVICE_NOT_FOUND) or a broken one is skipped.
      guard
        api.getDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &deviceCount)
          == CL_SUCCESS, deviceCount > 0
      else { continue }
      var devices = [cl_device_id?](repeating: nil, count: Int(deviceCount))
      guard
        api.getDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), deviceCount, &devices, nil)
          == CL_SUCCESS
      else { continue }
      for (d, device) in devices.enumerated() {
        guard let device else { continue }
        let kind = Self.kind(of: scalar(api, device, CL_DEVICE_TYPE))
        let isAuto = kind == .gpu && !sawGPU
        if kind == .gpu { sawGPU = true }
        let info = OpenCLDeviceInfo(
          index: found.count, platformIndex: p, platformName: platformName, deviceIndex: d,
          name: deviceString(api, device, CL_DEVICE_NAME),
          vendor: deviceString(api, device, CL_DEVICE_VENDOR), kind: kind,
          computeUnits: Int(scalar(api, device, CL_DEVICE_MAX_COMPUTE_UNITS) as cl_uint),
          globalMemoryBytes: scalar(api, device, CL_DEVICE_GLOBAL_MEM_SIZE),
          localMemoryBytes: scalar(api, device, CL_DEVICE_LOCAL_MEM_SIZE),
          maxWorkGroupSize: scalar(api, device, CL_DEVICE_MAX_WORK_GROUP_SIZE),
          limits: limits(api, device),
          openCLVersion: deviceString(api, device, CL_DEVICE_VERSION),
          driverVersion: deviceString(api, device, CL_DRIVER_VERSION),
          isAutoChoice: isAuto)
        found.append(Found(info: info, platform: platform, device: device))
      }
    }
    if found.isEmpty { throw .noDevices }
    return found
  }

  private static func kind(of type: cl_device_type) -> OpenCLDeviceInfo.Kind {
    if type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 { return .gpu }
    if type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 { return .cpu }
    if type & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 { return .accelerator }
    return .other
  }

  private static func platformString(_ api: CLAPI, _ platform: cl_platform_id, _ param: cl_platform_info) -> String {
    var size = 0
    guard api.getPlatformInfo(platform, param, 0, nil, &size) == CL_SUCCESS, size > 0 else { return "?" }
    var bytes = [CChar](repeating: 0, count: size + 1)
    guard api.getPlatformInfo(platform, param, size, &bytes, nil) == CL_SUCCESS else { return "?" }
    return trimmed(bytes)
  }

  private static func deviceString(_ api: CLAPI, _ device: cl_device_id, _ param: Int32) -> String {
    var size = 0
    guard api.getDeviceInfo(device, cl_device_info(param), 0, nil, &size) == CL_SUCCESS, size > 0
    else { return "?" }
    var bytes = [CChar](repeating: 0, count: size + 1)
    guard api.getDeviceInfo(device, cl_device_info(param), size, &bytes, nil) == CL_SUCCESS else { return "?" }
    return trimmed(bytes)
  }

  /// The device's limits; each failed (or zero) query is nil.
  static func limits(_ api: CLAPI, _ device: cl_device_id) -> OpenCLLimits {
    let local: cl_ulong? = known(api, device, CL_DEVICE_LOCAL_MEM_SIZE)
    let group: Int? = known(api, device, CL_DEVICE_MAX_WORK_GROUP_SIZE)
    let allocation: cl_ulong? = known(api, device, CL_DEVICE_MAX_MEM_ALLOC_SIZE)
    var sizes: [Int]?
    if let dimensions: cl_uint = known(api, device, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS), dimensions >= 3 {
      var values = [Int](repeating: 0, count: Int(dimensions))
      let status = api.getDeviceInfo(
        device, cl_device_info(CL_DEVICE_MAX_WORK_ITEM_SIZES), values.count * MemoryLayout<Int>.size, &values, nil)
      if status == CL_SUCCESS, values.allSatisfy({ $0 > 0 }) { sizes = Array(values) }
    }
    return OpenCLLimits(
      localMemoryBytes: local, maxWorkGroupSize: group, maxWorkItemSizes: sizes, maxAllocationBytes: allocation)
  }

  /// A fixed-size device property, or nil when the query fails or reports zero.
  static func known<T: FixedWidthInteger>(_ api: CLAPI, _ device: cl_device_id, _ param: Int32) -> T? {
    var value: T = 0
    let status = api.getDeviceInfo(device, cl_device_info(param), MemoryLayout<T>.size, &value, nil)
    return status == CL_SUCCESS && value > 0 ? value : nil
  }

  /// A fixed-size device property (cl_uint, cl_ulong, size_t, cl_bitfield); zero if unknown.
  static func scalar<T: FixedWidthInteger>(_ api: CLAPI, _ device: cl_device_id, _ param: Int32) -> T {
    var value: T = 0
    _ = api.getDeviceInfo(device, cl_device_info(param), MemoryLayout<T>.size, &value, nil)
    return value
  }

  private static func trimmed(_ bytes: [CChar]) -> String {
    let text = bytes.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    return text.trimmingCharacters(in: .whitespaces)
  }
}
