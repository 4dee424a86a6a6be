import COpenCL

/// The facts Swift and the OpenCL C of Kernels/ must agree on, defined once here: passed to
/// every kernel build as -D (a kernel source that assumes other values stops the build with
/// `#error`), and the argument counts the Swift side counts on checked when the kernels are
/// made (`CLKernels.init`). A mismatch is an error at start, not wrong numbers.
enum KernelConstants {
  /// Parameter tensors one adam_update_all launch updates: adam.cl's ADAM_SLOTS.
  static let adamSlots = 8
  /// The largest work-group augment_images sizes its local arrays for: augment.cl's AUG_GROUP_MAX.
  static let augmentGroupMax = 128
  /// augment_images' arguments: those `launch` sets, then its two __local image buffers.
  static let augmentArguments = 29
  /// The indices of augment_images' two __local image buffers (`cur` and `other`), its last two.
  static var augmentLocalImages: [Int] { [augmentArguments - 2, augmentArguments - 1] }

  /// The -D options every program is built with.
  static var buildOptions: String { "-D ADAM_SLOTS=\(adamSlots) -D AUG_GROUP_MAX=\(augmentGroupMax)" }

  /// The argument count the Swift side gives kernel `name`, where a constant here fixes it.
  static func arguments(of name: CLKernels.Name) -> Int? {
    switch name {
    case .adamUpdateAll: return 5 * adamSlots + 4
    case .augmentImages: return augmentArguments
    default: return nil
    }
  }

  /// Throws when the built kernel `name` takes another number of arguments than the Swift
  /// side gives it.
  static func check(_ kernel: cl_kernel, _ name: CLKernels.Name, api: CLAPI) throws(CLError) {
    guard let expected = arguments(of: name) else { return }
    var count: cl_uint = 0
    let status = api.getKernelInfo(
      kernel, cl_kernel_info(CL_KERNEL_NUM_ARGS), MemoryLayout<cl_uint>.size, &count, nil)
    try CLAPI.check(status, "clGetKernelInfo(\(name.rawValue), CL_KERNEL_NUM_ARGS)")
    if Int(count) != expected {
      throw .call(
        "\(name.rawValue) takes \(count) arguments in Kernels/ but \(expected) in KernelConstants.swift",
        status: CL_INVALID_KERNEL_ARGS)
    }
  }
}
