/// The seed network: Conv32 3x3 ReLU, MaxPool 2, Conv64 3x3 ReLU, MaxPool 2, Flatten (NCHW),
/// Dense128 ReLU, DenseN softmax, where N is the class count (10 for digits: 225,034
/// parameters). Input [N,1,28,28] in [0,1].
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

  /// Class counts the last layer may have: two is the least a softmax tells apart; a
  /// thousand bounds the model file and the pages that list every class.
  public static let classRange = 2...1000

  /// The parameters of a network telling `classes` classes apart; only the last layer
  /// (fc2, 128 x classes) depends on the count.
  public static func parameterSpecs(classes: Int) -> [ParameterSpec] {
    precondition(classRange.contains(classes), "\(classes) classes is outside \(classRange)")
    return [
      ParameterSpec(name: "conv1.weight", shape: [32, 1, 3, 3], fans: (9, 288)),
      ParameterSpec(name: "conv1.bias", shape: [32], fans: nil),
      ParameterSpec(name: "conv2.weight", shape: [64, 32, 3, 3], fans: (288, 576)),
      ParameterSpec(name: "conv2.bias", shape: [64], fans: nil),
      ParameterSpec(name: "fc1.weight", shape: [128, 1600], fans: (1600, 128)),
      ParameterSpec(name: "fc1.bias", shape: [128], fans: nil),
      ParameterSpec(name: "fc2.weight", shape: [classes, 128], fans: (128, classes)),
      ParameterSpec(name: "fc2.bias", shape: [classes], fans: nil),
    ]
  }

  /// The digits network's parameters (ten classes).
  public static let parameterSpecs = parameterSpecs(classes: MNISTShape.classes)
  public static let parameterCount = parameterCount(classes: MNISTShape.classes)

  public static func parameterCount(classes: Int) -> Int {
    parameterSpecs(classes: classes).reduce(0) { $0 + $1.shape.reduce(1, *) }
  }

  /// Forward cost per image (multiply-adds counted as 2 FLOP), for GFLOP/s reports.
  public static func forwardFLOPsPerImage(classes: Int) -> Int {
    2 * (26 * 26 * 32 * 9 + 11 * 11 * 64 * 288 + 1600 * 128 + 128 * classes)
  }
  public static let forwardFLOPsPerImage = forwardFLOPsPerImage(classes: MNISTShape.classes)

  public let backend: any Backend
  /// Outputs of the last layer: the classes the network tells apart.
  public let classes: Int
  /// This network's parameters (`parameterSpecs(classes:)`).
  public var specs: [ParameterSpec] { Self.parameterSpecs(classes: classes) }
  public let parameters: [Tensor]
  let gradients: [Tensor]
  let moments: [(m: Tensor, v: Tensor)]
  /// Number of Adam steps taken so far (the `t` of the bias correction).
  public internal(set) var step = 0
  private var workspaces: [Int: Workspace] = [:]

  /// Glorot-uniform weights and zero biases (the Keras defaults), from `seed`.
  public convenience init(backend: any Backend, seed: UInt64, classes: Int = MNISTShape.classes) {
    var rng = SeededGenerator(seed: seed)
    let values = Self.parameterSpecs(classes: classes).map { spec -> [Float] in
      let count = spec.shape.reduce(1, *)
      guard let fans = spec.fans else { return [Float](repeating: 0, count: count) }
      let limit = (6.0 / Float(fans.in + fans.out)).squareRoot()
      return (0..<count).map { _ in rng.uniform(-limit, limit) }
    }
    self.init(backend: backend, values: values)
  }

  /// Parameters in `parameterSpecs(classes:)` order, the class count read from the last
  /// bias; optional Adam state to resume training.
  public init(backend: any Backend, values: [[Float]], adam: (step: Int, m: [[Float]], v: [[Float]])? = nil) {
    precondition(values.count == Self.parameterSpecs.count)
    let classes = values[values.count - 1].count
    let specs = Self.parameterSpecs(classes: classes)
    precondition(zip(specs, values).allSatisfy { $0.shape.reduce(1, *) == $1.count }, "parameter sizes")
    self.backend = backend
    self.classes = classes
    parameters = zip(specs, values).map { backend.makeTensor($0.shape, values: $1) }
    gradients = specs.map { backend.makeTensor($0.shape) }
    moments = specs.enumerated().map { i, spec in
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

    init(_ b: any Backend, _ n: Int, classes: Int) {
      input = b.makeTensor([n, 1, MNISTShape.side, MNISTShape.side])
      labels = b.makeTensor([n])
      conv1 = b.makeTensor([n, 32, 26, 26])
      pool1 = b.makeTensor([n, 32, 13, 13])
      argmax1 = b.makeTensor([n, 32, 13, 13])
      conv2 = b.makeTensor([n, 64, 11, 11])
      pool2 = b.makeTensor([n, 64, 5, 5])
      argmax2 = b.makeTensor([n, 64, 5, 5])
      hidden = b.makeTensor([n, 128])
      logits = b.makeTensor([n, classes])
      dLogits = b.makeTensor([n, classes])
      dHidden = b.makeTensor([n, 128])
      dPool2 = b.makeTensor([n, 64, 5, 5])
      dConv2 = b.makeTensor([n, 64, 11, 11])
      dPool1 = b.makeTensor([n, 32, 13, 13])
      dConv1 = b.makeTensor([n, 32, 26, 26])
      probabilities = b.makeTensor([n, classes])
    }
  }

  func workspace(_ n: Int) -> Workspace {
    if let w = workspaces[n] { return w }
    let w = Workspace(backend, n, classes: classes)
    workspaces[n] = w
    return w
  }

  /// The batch sizes that have activation buffers now.
  public var cachedBatchSizes: [Int] { workspaces.keys.sorted() }

  /// Drops cached activation buffers (after evaluating with many batch sizes).
  public func releaseWorkspaces() { workspaces.removeAll() }
}
