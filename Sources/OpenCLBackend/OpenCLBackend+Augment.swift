import COpenCL
import DigitsCore

/// augment.cl: batches gathered from a resident image set and augmented on the device, so a
/// `--recipe best` step uploads nothing and waits for nothing (issue 15).
extension OpenCLBackend: DeviceAugmentingBackend {
  public func gather(
    _ images: any DeviceImages, order: Tensor?, start: Int, pixels: Tensor, labels: Tensor,
    augmentation a: DeviceAugmentation, batchSeed: UInt64
  ) {
    guard let set = images as? CLImageSet else {
      preconditionFailure("OpenCLBackend got image data of another backend (\(type(of: images)))")
    }
    let n = labels.count
    let side = MNISTShape.side
    ShapeCheck.require(
      set.pixelsPerImage == side * side && pixels.count == n * set.pixelsPerImage && start >= 0
        && start + n <= (order?.count ?? set.count), "gather (augmented)",
      "pixels \(pixels.shape), labels \(labels.shape), start \(start), set of \(set.count) x \(set.pixelsPerImage)")
    if fault != nil || n == 0 { return }
    let kernel = kernels.kernel(.augmentImages)
    let imageBytes = set.pixelsPerImage * MemoryLayout<Float>.size
    // Plus its own: 128 partial maxima, 4 x 128 ink-box ints and the plan (under 3 KB).
    guard UInt64(2 * imageBytes + 3 * 1024) <= limits.usableLocalMemoryBytes else {
      return fail(.call("augment_images needs \(2 * imageBytes) bytes of local memory", status: -5))
    }
    // The two image buffers are __local arguments 27 and 28, after those `launch` sets.
    for index in [27, 28] {
      check(api.setKernelArg(kernel, cl_uint(index), imageBytes, nil), "clSetKernelArg(augment_images, \(index))")
    }
    let local = augmentLocalSize(kernel)
    let orderMem = order.map { mem($0).mem } ?? set.labels.mem
    /// The seed's 32-bit halves as the kernel's two int arguments.
    func half(_ bits: UInt64) -> CLArg { .int(Int(Int32(bitPattern: UInt32(truncatingIfNeeded: bits)))) }
    launch(
      .augmentImages, global: [n * local], local: [local], .mem(set.images.mem), .mem(set.labels.mem),
      .mem(orderMem), .int(order == nil ? 0 : 1), .int(start), .int(side), half(batchSeed), half(batchSeed >> 32),
      .float(a.affineProbability),
      .float(a.maxRotation), .float(a.scaleLow), .float(a.scaleHigh), .float(a.maxAspect), .float(a.maxShear),
      .float(a.maxShift), .float(a.thicknessProbability), .float(a.blurProbability), .float(a.noiseProbability),
      .float(a.maxNoise), .float(a.relayoutProbability), .float(a.inkThreshold), .int(a.box), .int(a.oversample),
      .float(a.centreX), .float(a.centreY), .mem(mem(pixels).mem), .mem(mem(labels).mem))
  }

  /// One work-group per image: up to 128 work-items (a few pixels each; augment.cl's
  /// AUG_GROUP_MAX), within what the device allows this kernel (rusticl: 32 for a kernel with
  /// barriers) and the limits asked for.
  private func augmentLocalSize(_ kernel: cl_kernel) -> Int {
    var allowed = 0
    let status = api.getKernelWorkGroupInfo(
      kernel, context.device, cl_kernel_work_group_info(CL_KERNEL_WORK_GROUP_SIZE), MemoryLayout<Int>.size, &allowed,
      nil)
    let kernelLimit = status == CL_SUCCESS && allowed > 0 ? allowed : limits.usableWorkGroupSize
    return max(1, min(128, kernelLimit, limits.usableWorkGroupSize, limits.usableWorkItems(dimension: 0)))
  }
}
