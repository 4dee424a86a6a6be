import DigitsCore
import OpenCLBackend
import Testing
import _TestSupport

/// The per-call tile plans (`GEMMPlan`), without a device: every GEMM-like call of the seed
/// network at batch 128, planned for an H200 and for PoCL on 2 cores.
struct GEMMPlanTests {
  /// A GEMM-like call: output rows x cols, reduction depth, and whether it may split.
  struct Call: CustomStringConvertible {
    let name: String
    let rows: Int, cols: Int, depth: Int
    let split: GEMMPlan.Split
    var description: String { "\(name) \(rows)x\(cols)x\(depth)" }
  }

  /// The seed network's calls at batch n (conv1 has no input gradient).
  static func calls(batch n: Int) -> [Call] {
    [
      Call(name: "conv1 forward", rows: 32, cols: n * 26 * 26, depth: 9, split: .never),
      Call(name: "conv2 forward", rows: 64, cols: n * 11 * 11, depth: 32 * 9, split: .never),
      Call(name: "fc1 forward", rows: n, cols: 128, depth: 1600, split: .toFill),
      Call(name: "fc2 forward", rows: n, cols: 10, depth: 128, split: .toFill),
      Call(name: "fc2 input gradient", rows: n, cols: 128, depth: 10, split: .never),
      Call(name: "fc2 weight gradient", rows: 10, cols: 129, depth: n, split: .toTarget),
      Call(name: "fc1 input gradient", rows: n, cols: 1600, depth: 128, split: .never),
      Call(name: "fc1 weight gradient", rows: 128, cols: 1601, depth: n, split: .toTarget),
      Call(name: "conv2 input gradient", rows: 32, cols: n * 13 * 13, depth: 64 * 9, split: .never),
      Call(name: "conv2 weight gradient", rows: 64, cols: 32 * 9 + 1, depth: n * 11 * 11, split: .toTarget),
      Call(name: "conv1 weight gradient", rows: 32, cols: 10, depth: n * 26 * 26, split: .toTarget),
    ]
  }

  static func plan(_ call: Call, _ tuning: OpenCLTuning) -> GEMMPlan {
    GEMMPlan.make(
      rows: call.rows, cols: call.cols, depth: call.depth, split: call.split, tuning: tuning, narrowAvailable: true)
  }

  /// On an H200 every call fills the 132 compute units, except the two whose whole output and
  /// reduction are too small to cut further (fc2's forward and weight gradient: about 0.3
  /// MFLOP each, a few microseconds however they run). Without per-call plans fc1's forward
  /// GEMM ran as 4 work-groups.
  @Test func everyCallFillsAnH200ThatCan() {
    let tuning = OpenCLTuning.h200
    for call in Self.calls(batch: 128) {
      let plan = Self.plan(call, tuning)
      let small = call.rows * call.cols * call.depth < 1_000_000
      #expect(plan.workGroups >= 132 || small, "\(call): \(plan)")
      let covered = plan.slices * plan.chunk
      #expect(covered >= call.depth && covered - plan.chunk < call.depth, "\(call): \(plan) leaves a slice empty")
    }
    let fc1 = Self.plan(Self.calls(batch: 128)[2], tuning)
    #expect(fc1.narrow && fc1.slices > 1, "fc1 forward: \(fc1)")
  }

  /// On PoCL (2 compute units, 64x128 tiles) every call keeps the wide tiles and the dense
  /// forward calls do not split, so a step is still 20 launches; the weight gradients split
  /// as before (about 8 work-groups).
  @Test func cpuDriverPlansAreTheWideTiles() {
    let pocl = OpenCLTuning(
      tileM: 64, tileN: 128, tileK: 16, workPerItemM: 8, workPerItemN: 8, targetWorkGroups: 8, fillWorkGroups: 2)
    for call in Self.calls(batch: 128) {
      let plan = Self.plan(call, pocl)
      #expect(!plan.narrow, "\(call): \(plan)")
      if call.split != .toTarget { #expect(plan.slices == 1, "\(call): \(plan)") }
    }
    let conv1 = Self.plan(Self.calls(batch: 128)[10], pocl)
    #expect(conv1.slices == 8 && conv1.workGroups == 8, "conv1 weight gradient: \(conv1)")
  }

  /// On llvmpipe, which ends a work-item's loops after 65535 iterations in all, every call
  /// of the network at batch 128 reduces at most `longestReduction` k-tiles a work-group:
  /// the weight gradients split further than their work-group target asks (conv1's ran
  /// 1,352 narrow k-tiles in one work-group, conv2's 968 wide ones; llvmpipe stopped both
  /// near 850 and 520, and stores partial sums). The same calls without the limit plan as
  /// before.
  @Test func rusticlPlansStayWithinTheLoopLimit() throws {
    let limit = try #require(OpenCLLimits.llvmpipe.loopIterations)
    for call in Self.calls(batch: 128) {
      let plan = GEMMPlan.make(
        rows: call.rows, cols: call.cols, depth: call.depth, split: call.split, tuning: .rusticl,
        narrowAvailable: true, loopIterations: limit)
      let tiles = plan.narrow ? try #require(OpenCLTuning.rusticl.narrowed) : .rusticl
      #expect(plan.withinLoopLimit, "\(call): \(plan)")
      #expect(plan.chunk / tiles.tileK <= tiles.longestReduction(within: limit), "\(call): \(plan)")
      let covered = plan.slices * plan.chunk
      #expect(covered >= call.depth && covered - plan.chunk < call.depth, "\(call): \(plan) leaves a slice empty")
      let unlimited = Self.plan(call, .rusticl)
      #expect(plan.narrow == unlimited.narrow && plan.slices >= unlimited.slices, "\(call): \(plan)")
    }
    let conv1 = Self.calls(batch: 128)[10]
    #expect(Self.plan(conv1, .rusticl).slices == 8, "conv1 weight gradient without the limit")
    // The bound counts every loop as run, not unrolled: well below what llvmpipe measured.
    let narrow = try #require(OpenCLTuning.rusticl.narrowed)
    #expect(narrow.longestReduction(within: limit) < 850 && OpenCLTuning.rusticl.longestReduction(within: limit) < 520)
  }

  /// A call that may not split and whose reduction is longer than the loop limit allows is
  /// marked, so the backend refuses it instead of storing partial sums.
  @Test func unsplittableCallPastTheLoopLimitIsMarked() {
    let deep = GEMMPlan.make(
      rows: 64, cols: 64, depth: 1_000_000, split: .never, tuning: .rusticl, narrowAvailable: true,
      loopIterations: 65535)
    #expect(!deep.withinLoopLimit && deep.slices == 1, "\(deep)")
    let shallow = GEMMPlan.make(
      rows: 64, cols: 64, depth: 576, split: .never, tuning: .rusticl, narrowAvailable: true, loopIterations: 65535)
    #expect(shallow.withinLoopLimit, "\(shallow)")
  }

  /// The narrow tiles halve both sides and keep each work-item's outputs; tileK shrinks to
  /// the work-group when it would not fit the conv kernels' tables.
  @Test func narrowTilesAreHalfTheWideOnes() throws {
    let narrow = try #require(OpenCLTuning.h200.narrowed)
    #expect([narrow.tileM, narrow.tileN, narrow.tileK] == [32, 32, 16])
    #expect(narrow.gemmWorkGroupSize == 64 && narrow.fillWorkGroups == 1)
    let rusticl = OpenCLTuning(tileM: 16, tileN: 32, tileK: 16, workPerItemM: 4, workPerItemN: 4)
    let small = try #require(rusticl.narrowed)
    #expect([small.tileM, small.tileN, small.tileK, small.gemmWorkGroupSize] == [8, 16, 8, 8])
    #expect(OpenCLTuning(tileM: 4, tileN: 4, tileK: 4, workPerItemM: 4, workPerItemN: 4).narrowed == nil)
  }
}

/// The plans as the backend runs them: fc1's forward GEMM at batch 128 is one launch when its
/// plan has one slice (the device's own plan on a CPU driver), and two (the split GEMM and its
/// reduce) when it splits, as planned for an H200; the values are checked against the
/// reference in `OpTests.dense`.
@Suite(.enabled(if: OpenCLTestDevice.shouldRun, OpenCLTestDevice.skipMessage))
struct GEMMPlanLaunchTests {
  @Test(arguments: OpenCLTestDevice.targets(tunings: [0, 3]))
  func fc1ForwardLaunches(target: OpenCLTestDevice.Target) throws {
    let backend = try target.backend()
    let x = backend.makeTensor([128, 1600]), w = backend.makeTensor([128, 1600])
    let b = backend.makeTensor([128]), y = backend.makeTensor([128, 128])
    let before = backend.counters
    backend.denseForward(input: x, weight: w, bias: b, output: y, relu: true)
    try backend.throwIfFaulted()
    let launches = (backend.counters - before).launches
    let plan = GEMMPlan.make(
      rows: 128, cols: 128, depth: 1600, split: .toFill, tuning: backend.tuning,
      narrowAvailable: backend.tuning.narrowed != nil,
      loopIterations: backend.limits.loopIterations)
    #expect(launches == (plan.slices > 1 ? 2 : 1), "\(backend.name): \(plan)")
    if OpenCLTestDevice.tunings[target.tuning] == .h200 { #expect(plan.slices > 1) }
  }

  /// Two split-K weight gradients (conv1's and conv2's shapes at batch 16) wait and are summed
  /// by one reduce launch, run as soon as a kernel names one of their outputs: the ReLU
  /// backward below must see the finished dw1 (a reduce enqueued after it would overwrite
  /// the masked values). Both gradients then match the Float64 reference. (On rusticl
  /// conv2's gradient splits only because llvmpipe's loop limit asks it to.)
  @Test(arguments: OpenCLTestDevice.targets(tunings: [0, 3]))
  func splitWeightGradientsShareOneReduce(target: OpenCLTestDevice.Target) throws {
    let backend = try target.backend()
    let reference = ReferenceBackend()
    var rng = TestRandom(seed: 29)
    // (n, c, h, w, k) of conv1 and conv2 at batch 16.
    let shapes = [[16, 1, 28, 28, 32], [16, 32, 13, 13, 64]]
    for sh in shapes {
      let plan = GEMMPlan.make(
        rows: sh[4], cols: sh[1] * 9 + 1, depth: sh[0] * (sh[2] - 2) * (sh[3] - 2), split: .toTarget,
        tuning: backend.tuning, narrowAvailable: backend.tuning.narrowed != nil,
        loopIterations: backend.limits.loopIterations)
      try #require(plan.slices > 1, "\(sh) must split for this test: \(plan)")
    }
    let values = shapes.map { sh in
      (x: rng.array(sh[0] * sh[1] * sh[2] * sh[3]), dy: rng.array(sh[0] * sh[4] * (sh[2] - 2) * (sh[3] - 2)))
    }
    let mask = rng.array(32 * 9)
    var results: [[[Float]]] = []
    for be in [backend, reference] as [any Backend] {
      let before = (be as? OpenCLBackend)?.counters
      var outputs: [(dw: Tensor, db: Tensor)] = []
      for (sh, v) in zip(shapes, values) {
        let x = be.makeTensor([sh[0], sh[1], sh[2], sh[3]]), dy = be.makeTensor([sh[0], sh[4], sh[2] - 2, sh[3] - 2])
        v.x.withUnsafeBufferPointer { be.upload($0, to: x) }
        v.dy.withUnsafeBufferPointer { be.upload($0, to: dy) }
        let dw = be.makeTensor([sh[4], sh[1], 3, 3]), db = be.makeTensor([sh[4]])
        outputs.append((dw, db))
        be.conv2dBackwardWeight(input: x, outputGrad: dy, weightGrad: dw, biasGrad: db)
      }
      if be === backend, let before { #expect((backend.counters - before).launches == 2, "the two GEMMs only") }
      let y = be.makeTensor([32, 1, 3, 3])
      mask.withUnsafeBufferPointer { be.upload($0, to: y) }
      let launchesBefore = (be as? OpenCLBackend)?.counters.launches
      be.reluBackward(output: y, outputGrad: outputs[0].dw)
      if let launchesBefore, let opencl = be as? OpenCLBackend {
        #expect(opencl.counters.launches - launchesBefore == 2, "one reduce for both gradients, then the ReLU")
      }
      results.append(outputs.flatMap { [be.download($0.dw), be.download($0.db)] })
    }
    let depths = shapes.map { $0[0] * ($0[2] - 2) * ($0[3] - 2) }
    for (i, label) in ["dw1 masked", "db1", "dw2", "db2"].enumerated() {
      let atol = DerivedTolerance.dot(depth: depths[i / 2], meanAbsProduct: i % 2 == 0 ? 0.25 : 0.5)
      if let report = mismatchReport(results[0][i], results[1][i], atol: atol, rtol: 1e-5, label: label) {
        Issue.record(Comment(rawValue: report))
      }
    }
  }
}
