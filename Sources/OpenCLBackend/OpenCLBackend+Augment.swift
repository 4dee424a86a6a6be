import COpenCL
import DigitsCore

/// augment.cl: batches gathered from a resident image set and augmented on the device, so a
/// `--recipe best` step uploads nothing and waits for nothing. An augmentation without a
/// device part runs on the host (`hostGather`).
extension OpenCLBackend {
  public func gather(
    _ images: ImageSet, start: Int, pixels: Tensor, labels: Tensor, augmentation: BatchAugmentation,
    rng: inout SeededGenerator
  ) {
    guard let device = augmentation.device else {
      return hostGather(images, start: start, pixels: pixels, labels: labels) { batch, count in
        augmentation.host(&batch, count, &rng)
      }
    }
    augmentedGather(resident(images), start: start, pixels: pixels, labels: labels, device, batchSeed: rng.next())
  }

  /// pixels and labels of the batch at `start` in the set's order, image i augmented with the
  /// generator `SeededGenerator(seed: DeviceAugmentation.imageSeed(batchSeed:slot: i))`.
  func augmentedGather(
    _ set: CLImageSet, start: Int, pixels: Tensor, labels: Tensor, _ a: DeviceAugmentation, batchSeed: UInt64
  ) {
    let n = labels.count
    let side = MNISTShape.side
    ShapeCheck.require(
      set.pixelsPerImage == side * side && pixels.count == n * set.pixelsPerImage && start >= 0
        && start + n <= set.count, "gather (augmented)",
      "pixels \(pixels.shape), labels \(labels.shape), start \(start), set of \(set.count) x \(set.pixelsPerImage)")
    if fault != nil || n == 0 { return }
    let kernel = kernels.kernel(.augmentImages)
    let imageBytes = set.pixelsPerImage * MemoryLayout<Float>.size
    // Plus its own: AUG_GROUP_MAX partial maxima, 4 x AUG_GROUP_MAX ink-box ints and the plan.
    let own = 5 * KernelConstants.augmentGroupMax * 4 + 512
    guard UInt64(2 * imageBytes + own) <= limits.usableLocalMemoryBytes else {
      return fail(.call("augment_images needs \(2 * imageBytes + own) bytes of local memory", status: -5))
    }
    for index in KernelConstants.augmentLocalImages {
      check(api.setKernelArg(kernel, cl_uint(index), imageBytes, nil), "clSetKernelArg(augment_images, \(index))")
    }
    let local = augmentLocalSize(kernel)
    let orderMem = set.order.map { mem($0).mem } ?? set.labels.mem
    /// The seed's 32-bit halves as the kernel's two int arguments.
    func half(_ bits: UInt64) -> CLArg { .int(Int(Int32(bitPattern: UInt32(truncatingIfNeeded: bits)))) }
    launch(
      .augmentImages, global: [n * local], local: [local], .mem(set.images.mem), .mem(set.labels.mem),
      .mem(orderMem), .int(set.order == nil ? 0 : 1), .int(start), .int(side), half(batchSeed), half(batchSeed >> 32),
      .float(a.affineProbability),
      .float(a.maxRotation), .float(a.scaleLow), .float(a.scaleHigh), .float(a.maxAspect), .float(a.maxShear),
      .float(a.maxShift), .float(a.thicknessProbability), .float(a.blurProbability), .float(a.noiseProbability),
      .float(a.maxNoise), .float(a.relayoutProbability), .float(a.inkThreshold), .int(a.box), .int(a.oversample),
      .float(a.centreX), .float(a.centreY), .mem(mem(pixels).mem), .mem(mem(labels).mem))
  }

  /// One work-group per image: up to `KernelConstants.augmentGroupMax` work-items (a few
  /// pixels each), within what the device allows this kernel (rusticl: 32 for a kernel with
  /// barriers) and the limits asked for.
  private func augmentLocalSize(_ kernel: cl_kernel) -> Int {
    var allowed = 0
    let status = api.getKernelWorkGroupInfo(
      kernel, context.device, cl_kernel_work_group_info(CL_KERNEL_WORK_GROUP_SIZE), MemoryLayout<Int>.size, &allowed,
      nil)
    let kernelLimit = status == CL_SUCCESS && allowed > 0 ? allowed : limits.usableWorkGroupSize
    let cap = min(KernelConstants.augmentGroupMax, limits.usableWorkGroupSize, limits.usableWorkItems(dimension: 0))
    return max(1, min(kernelLimit, cap))
  }
}
