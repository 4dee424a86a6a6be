import COpenCL
import DigitsCore

/// A kernel argument.
enum CLArg {
  case mem(cl_mem)
  case int(Int)
  case float(Float)
}

/// Every kernel of Kernels/, created from one built program for one backend (a cl_kernel's
/// arguments are state, so backends never share them), and how to launch them.
final class CLKernels {
  enum Name: String, CaseIterable {
    case gemmReduceSplitK = "gemm_reduce_splitk"
    case denseForwardReduce = "dense_forward_reduce"
    case conv2dForward = "conv2d_forward"
    case conv2dBackwardInput = "conv2d_backward_input"
    case conv2dBackwardWeight = "conv2d_backward_weight"
    case denseForward = "dense_forward"
    case denseBackwardInput = "dense_backward_input"
    case denseBackwardWeight = "dense_backward_weight"
    case maxPool2Forward = "maxpool2_forward"
    case maxPool2Backward = "maxpool2_backward"
    case reluBackward = "relu_backward"
    case softmaxCrossEntropy = "softmax_cross_entropy"
    case softmaxProbabilities = "softmax_probabilities"
    case adamUpdate = "adam_update"
    case adamUpdateAll = "adam_update_all"
    case gatherImages = "gather_images"
    case augmentImages = "augment_images"
    case loopLimitProbe = "loop_limit_probe"

    /// The tiled GEMM kernels: local size fixed by the tuning (reqd_work_group_size).
    static let gemmKernels: [Name] = [
      .conv2dForward, .conv2dBackwardInput, .conv2dBackwardWeight, .denseForward, .denseBackwardInput,
      .denseBackwardWeight,
    ]
    /// The split-K reductions: 2-D work-groups of (elements, slice lanes) sharing local memory.
    static let reduceKernels: [Name] = [.gemmReduceSplitK, .denseForwardReduce]
    /// Kernels whose local size is fixed at build time; the rest take any local size.
    /// (augment_images picks its own: a kernel with barriers, rusticl allows it fewer work-items.)
    var hasFixedWorkGroup: Bool {
      Self.gemmKernels.contains(self) || self == .softmaxCrossEntropy || self == .augmentImages
    }
    /// One work-item per element, no local memory: any local size (`elementwiseLocalSize`).
    var isElementwise: Bool { !hasFixedWorkGroup && !Self.reduceKernels.contains(self) && self != .loopLimitProbe }

    /// Where `--profile` files the kernel's time.
    var phase: OpPhase {
      switch self {
      case .conv2dForward, .denseForward, .denseForwardReduce, .maxPool2Forward, .softmaxProbabilities: return .forward
      case .adamUpdate, .adamUpdateAll: return .update
      case .gatherImages, .augmentImages, .loopLimitProbe: return .transfer
      default: return .backward
      }
    }
  }

  private let api: CLAPI
  private let context: CLContext
  private let queue: cl_command_queue
  private let recorder: CLRecorder
  private var kernels: [Name: cl_kernel] = [:]
  /// Local size of the one-work-item-per-element kernels: a multiple of the device's
  /// preferred work-group multiple, at most 256.
  let elementwiseLocalSize: Int
  /// Work-items of a reduction group: `elements` along dimension 0 (at most gemm.cl's
  /// REDUCE_X) times `lanes` slice lanes along dimension 1 (at most REDUCE_LANES).
  let reduceLocalSize: (elements: Int, lanes: Int)

  init(program: CLProgram, context: CLContext, queue: cl_command_queue, recorder: CLRecorder, limits: OpenCLLimits)
    throws(CLError)
  {
    self.api = context.api
    self.context = context
    self.queue = queue
    self.recorder = recorder
    for name in Name.allCases {
      var status: cl_int = 0
      let kernel = api.createKernel(program.program, name.rawValue, &status)
      try CLAPI.check(status, "clCreateKernel(\(name.rawValue))")
      guard let kernel else { throw .call("clCreateKernel(\(name.rawValue))", status: -46) }
      kernels[name] = kernel
      try KernelConstants.check(kernel, name, api: api)
    }
    let probe = kernels[.reluBackward]!
    var multiple = 0
    _ = api.getKernelWorkGroupInfo(
      probe, context.device, cl_kernel_work_group_info(CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE),
      MemoryLayout<Int>.size, &multiple, nil)
    multiple = max(1, multiple)
    let limit = program.elementwiseWorkGroupLimit ?? limits.usableWorkGroupSize
    let cap = max(1, min(256, limit, limits.usableWorkGroupSize, limits.usableWorkItems(dimension: 0)))
    elementwiseLocalSize = cap >= multiple ? cap / multiple * multiple : cap
    let group = max(
      1, min(256, program.reduceWorkGroupLimit ?? limits.usableWorkGroupSize, limits.usableWorkGroupSize))
    let lanes = min(8, max(1, group / 32), limits.usableWorkItems(dimension: 1))
    reduceLocalSize = (max(1, min(32, group / lanes, limits.usableWorkItems(dimension: 0))), lanes)
  }

  deinit {
    for kernel in kernels.values { _ = api.releaseKernel(kernel) }
  }

  /// Sets the arguments and enqueues `name` over `global` work-items (each dimension already
  /// a multiple of `local`). Does nothing when there is no work.
  func launch(_ name: Name, global: [Int], local: [Int], _ args: [CLArg]) throws(CLError) {
    if global.contains(0) { return }
    let kernel = kernels[name]!
    try setArguments(name, args)
    let start = recorder.hostStart()
    let (status, event) = recorder.withEvent {
      api.enqueueNDRangeKernel(queue, kernel, cl_uint(global.count), nil, global, local, 0, nil, $0)
    }
    recorder.launched()
    recorder.keep(event, name: name.rawValue, phase: name.phase, queue: queue, hostStart: start)
    try CLAPI.check(status, "clEnqueueNDRangeKernel(\(name.rawValue), global \(global), local \(local))")
  }

  func kernel(_ name: Name) -> cl_kernel { kernels[name]! }

  func setArguments(_ name: Name, _ args: [CLArg]) throws(CLError) {
    let kernel = kernels[name]!
    for (i, arg) in args.enumerated() {
      let status: cl_int
      switch arg {
      case .mem(let mem):
        var value: cl_mem? = mem
        status = api.setKernelArg(kernel, cl_uint(i), MemoryLayout<cl_mem?>.size, &value)
      case .int(let int):
        var value = Int32(int)
        status = api.setKernelArg(kernel, cl_uint(i), MemoryLayout<Int32>.size, &value)
      case .float(let float):
        var value = float
        status = api.setKernelArg(kernel, cl_uint(i), MemoryLayout<Float>.size, &value)
      }
      try CLAPI.check(status, "clSetKernelArg(\(name.rawValue), \(i))")
    }
  }

  /// A split-K reduction (gemm.cl's reduce_slices) of `groups` work-groups over `slices` slices.
  func launchReduce(_ name: Name, groups: Int, slices: Int, _ args: [CLArg]) throws(CLError) {
    let lanes = min(reduceLocalSize.lanes, slices), x = reduceLocalSize.elements
    try launch(name, global: [groups * x, lanes], local: [x, lanes], args)
  }

  /// Runs loop_limit_probe (probe.cl) and waits: the iterations after which this driver
  /// ends a work-item's loops (`OpenCLLimits.loopIterations`), or nil when a loop of 2^22
  /// ran in full (a limit past that leaves every plan's reductions far within it).
  func measureLoopLimit() throws(CLError) -> Int? {
    let asked = 1 << 22
    var ones: [Int32] = [1, 1]
    var count: Int32 = 0
    var status: cl_int = 0
    let flags = cl_mem_flags(CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR)
    guard let input = api.createBuffer(context.context, flags, 8, &ones, &status) else {
      throw .call("clCreateBuffer(8 bytes)", status: status)
    }
    defer { _ = api.releaseMemObject(input) }
    guard let output = api.createBuffer(context.context, flags, 4, &count, &status) else {
      throw .call("clCreateBuffer(4 bytes)", status: status)
    }
    defer { _ = api.releaseMemObject(output) }
    try launch(.loopLimitProbe, global: [1], local: [1], [.mem(input), .int(asked), .mem(output)])
    try CLAPI.check(
      api.enqueueReadBuffer(queue, output, cl_bool(CL_TRUE), 0, 4, &count, 0, nil, nil), "clEnqueueReadBuffer(4 bytes)")
    return Int(count) < asked ? Int(count) : nil
  }

  /// A 1-D launch with one work-item per element of `count`.
  func launch(_ name: Name, elements count: Int, _ args: [CLArg]) throws(CLError) {
    let local = elementwiseLocalSize
    try launch(name, global: [(count + local - 1) / local * local], local: [local], args)
  }
}
