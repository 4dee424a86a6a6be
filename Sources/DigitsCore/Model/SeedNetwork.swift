/// The seed network: Conv32 3x3 ReLU, MaxPool 2, Conv64 3x3 ReLU, MaxPool 2, Flatten (NCHW),
/// Dense128 ReLU, Dense10 softmax. 225,034 parameters. Input [N,1,28,28] in [0,1].
///
/// It owns its parameters, gradients and Adam moments on one backend, and one set of
/// activation buffers per batch size seen, so a training step allocates nothing.
public final class SeedNetwork {
  public struct ParameterSpec: Sendable {
    public let name: String
    public let shape: [Int]
    /// Glorot fan-in and fan-out (Keras counts the 3x3 receptive field in both); nil for biases.
    public let fans: (in: Int, out: Int)?
  }

  public static let parameterSpecs: [ParameterSpec] = [
    ParameterSpec(name: "conv1.weight", shape: [32, 1, 3, 3], fans: (9, 288)),
    ParameterSpec(name: "conv1.bias", shape: [32], fans: nil),
    ParameterSpec(name: "conv2.weight", shape: [64, 32, 3, 3], fans: (288, 576)),
    ParameterSpec(name: "conv2.bias", shape: [64], fans: nil),
    ParameterSpec(name: "fc1.weight", shape: [128, 1600], fans: (1600, 128)),
    ParameterSpec(name: "fc1.bias", shape: [128], fans: nil),
    ParameterSpec(name: "fc2.weight", shape: [10, 128], fans: (128, 10)),
    ParameterSpec(name: "fc2.bias", shape: [10], fans: nil),
  ]
  public static let parameterCount = parameterSpecs.reduce(0) { $0 + $1.shape.reduce(1, *) }

  /// Forward cost per image (multiply-adds counted as 2 FLOP), for GFLOP/s reports.
  public static let forwardFLOPsPerImage = 2 * (26 * 26 * 32 * 9 + 11 * 11 * 64 * 288 + 1600 * 128 + 128 * 10)

  public let backend: any Backend
  public let parameters: [Tensor]
  let gradients: [Tensor]
  let moments: [(m: Tensor, v: Tensor)]
  /// Number of Adam steps taken so far (the `t` of the bias correction).
  public internal(set) var step = 0
  private var workspaces: [Int: Workspace] = [:]

  /// Glorot-uniform weights and zero biases (the Keras defaults), from `seed`.
  public convenience init(backend: any Backend, seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let values = Self.parameterSpecs.map { spec -> [Float] in
      let count = spec.shape.reduce(1, *)
      guard let fans = spec.fans else { return [Float](repeating: 0, count: count) }
      let limit = (6.0 / Float(fans.in + fans.out)).squareRoot()
      return (0..<count).map { _ in rng.uniform(-limit, limit) }
    }
    self.init(backend: backend, values: values)
  }

  /// Parameters in `parameterSpecs` order; optional Adam state to resume training.
  public init(backend: any Backend, values: [[Float]], adam: (step: Int, m: [[Float]], v: [[Float]])? = nil) {
    precondition(values.count == Self.parameterSpecs.count)
    self.backend = backend
    parameters = zip(Self.parameterSpecs, values).map { backend.makeTensor($0.shape, values: $1) }
    gradients = Self.parameterSpecs.map { backend.makeTensor($0.shape) }
    moments = Self.parameterSpecs.enumerated().map { i, spec in
      guard let adam else { return (backend.makeTensor(spec.shape), backend.makeTensor(spec.shape)) }
      return (backend.makeTensor(spec.shape, values: adam.m[i]), backend.makeTensor(spec.shape, values: adam.v[i]))
    }
    step = adam?.step ?? 0
  }

  /// Parameter values in `parameterSpecs` order (waits for the device).
  public func parameterValues() -> [[Float]] { parameters.map(backend.download) }
  /// Adam state, for checkpoints.
  public func adamState() -> (step: Int, m: [[Float]], v: [[Float]]) {
    (step, moments.map { backend.download($0.m) }, moments.map { backend.download($0.v) })
  }

  // MARK: - Forward and backward

  /// Activation buffers for one batch size.
  final class Workspace {
    let input, labels, conv1, pool1, argmax1, conv2, pool2, argmax2, hidden, logits: Tensor
    let dLogits, dHidden, dPool2, dConv2, dPool1, dConv1, probabilities: Tensor

    init(_ b: any Backend, _ n: Int) {
      input = b.makeTensor([n, 1, MNISTShape.side, MNISTShape.side])
      labels = b.makeTensor([n])
      conv1 = b.makeTensor([n, 32, 26, 26])
      pool1 = b.makeTensor([n, 32, 13, 13])
      argmax1 = b.makeTensor([n, 32, 13, 13])
      conv2 = b.makeTensor([n, 64, 11, 11])
      pool2 = b.makeTensor([n, 64, 5, 5])
      argmax2 = b.makeTensor([n, 64, 5, 5])
      hidden = b.makeTensor([n, 128])
      logits = b.makeTensor([n, MNISTShape.classes])
      dLogits = b.makeTensor([n, MNISTShape.classes])
      dHidden = b.makeTensor([n, 128])
      dPool2 = b.makeTensor([n, 64, 5, 5])
      dConv2 = b.makeTensor([n, 64, 11, 11])
      dPool1 = b.makeTensor([n, 32, 13, 13])
      dConv1 = b.makeTensor([n, 32, 26, 26])
      probabilities = b.makeTensor([n, MNISTShape.classes])
    }
  }

  func workspace(_ n: Int) -> Workspace {
    if let w = workspaces[n] { return w }
    let w = Workspace(backend, n)
    workspaces[n] = w
    return w
  }

  /// The batch sizes that have activation buffers now.
  public var cachedBatchSizes: [Int] { workspaces.keys.sorted() }

  /// Drops cached activation buffers (after evaluating with many batch sizes).
  public func releaseWorkspaces() { workspaces.removeAll() }
}
