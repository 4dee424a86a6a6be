import DigitsCore
import Foundation

/// The part of a Keras model config (`config.json` of a `.keras` zip, the `model_config`
/// attribute of a Keras 2 `.h5`) that says which network it is. Both are
/// `{"class_name": "Sequential", "config": {"layers": [{"class_name": ..., "config": {...}}]}}`.
struct KerasConfig: Decodable {
  var className: String
  var config: Body

  struct Body: Decodable {
    var layers: [Layer]
  }

  struct Layer: Decodable {
    var className: String
    var config: LayerConfig
    enum CodingKeys: String, CodingKey {
      case className = "class_name", config
    }
  }

  /// The fields of the layers this network has; a field another layer lacks is nil.
  struct LayerConfig: Decodable {
    var name: String?
    var filters: Int?
    var kernelSize: [Int]?
    var strides: [Int]?
    var padding: String?
    var dataFormat: String?
    var dilationRate: [Int]?
    var groups: Int?
    var activation: String?
    var useBias: Bool?
    var poolSize: [Int]?
    var units: Int?
    /// InputLayer: `batch_shape` (Keras 3) or `batch_input_shape` (Keras 2, also on the first layer).
    var batchShape: [Int?]?
    var batchInputShape: [Int?]?

    enum CodingKeys: String, CodingKey {
      case name, filters, strides, padding, groups, activation, units
      case kernelSize = "kernel_size", dataFormat = "data_format", dilationRate = "dilation_rate"
      case useBias = "use_bias", poolSize = "pool_size", batchShape = "batch_shape"
      case batchInputShape = "batch_input_shape"
    }

    init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      // Lenient per field: a field of an unexpected type reads as missing, and the layer then
      // fails the architecture check with a message naming it.
      name = try? c.decodeIfPresent(String.self, forKey: .name)
      filters = try? c.decodeIfPresent(Int.self, forKey: .filters)
      kernelSize = try? c.decodeIfPresent([Int].self, forKey: .kernelSize)
      strides = try? c.decodeIfPresent([Int].self, forKey: .strides)
      padding = try? c.decodeIfPresent(String.self, forKey: .padding)
      dataFormat = try? c.decodeIfPresent(String.self, forKey: .dataFormat)
      dilationRate = try? c.decodeIfPresent([Int].self, forKey: .dilationRate)
      groups = try? c.decodeIfPresent(Int.self, forKey: .groups)
      activation = try? c.decodeIfPresent(String.self, forKey: .activation)
      useBias = try? c.decodeIfPresent(Bool.self, forKey: .useBias)
      poolSize = try? c.decodeIfPresent([Int].self, forKey: .poolSize)
      units = try? c.decodeIfPresent(Int.self, forKey: .units)
      batchShape = try? c.decodeIfPresent([Int?].self, forKey: .batchShape)
      batchInputShape = try? c.decodeIfPresent([Int?].self, forKey: .batchInputShape)
    }
  }

  enum CodingKeys: String, CodingKey {
    case className = "class_name", config
  }

  /// What `digits` can import, in the words of the error message.
  static let expected =
    "the seed CNN (Sequential: Conv2D 32 3x3 relu, MaxPooling2D 2, Conv2D 64 3x3 relu, MaxPooling2D 2, Flatten, Dense 128 relu, Dense 10 softmax; input 28x28x1)"

  /// The longest config read: this network's is about 6 KB.
  static let maxBytes = 1 << 20

  static func decode(_ text: Data, path: String) throws -> KerasConfig {
    guard text.count <= maxBytes else { throw DigitsError.file(path, "Keras config is over \(maxBytes) bytes") }
    let depth = text.withUnsafeBytes { bytes in
      var depth = 0, deepest = 0
      for b in bytes {
        if b == UInt8(ascii: "[") || b == UInt8(ascii: "{") {
          depth += 1
          deepest = max(deepest, depth)
        }
        if b == UInt8(ascii: "]") || b == UInt8(ascii: "}") { depth -= 1 }
      }
      return deepest
    }
    // Counted with brackets inside strings too: an upper bound, enough to keep the parser's
    // recursion shallow.
    guard depth <= 32 else { throw DigitsError.file(path, "Keras config is nested deeper than 32 levels") }
    do {
      return try JSONDecoder().decode(KerasConfig.self, from: text)
    } catch {
      throw DigitsError.file(path, "Keras config is not a Sequential model config; expected \(expected)")
    }
  }

  /// Checks the layers against the seed CNN (its last Dense of any count in
  /// `SeedNetwork.classRange`); returns the names of its four layers with weights (conv,
  /// conv, dense, dense), under which the weights are stored, and the class count.
  func weightedLayers(path: String) throws -> (names: [String], classes: Int) {
    guard className == "Sequential" else {
      throw DigitsError.file(path, "Keras model is a \(className.prefix(40)), expected \(Self.expected)")
    }
    let side = MNISTShape.side
    let layers = config.layers.filter { $0.className != "Dropout" }  // identity at inference
    var index = 0
    if let input = layers.first, input.className == "InputLayer" {
      let shape = input.config.batchShape ?? input.config.batchInputShape
      guard let shape, shape.count == 4, shape[1] == side, shape[2] == side, shape[3] == 1 else {
        throw DigitsError.file(path, "Keras model's input is not 28x28x1; expected \(Self.expected)")
      }
      index = 1
    }
    let specs = SeedNetwork.parameterSpecs
    let plan: [(kind: String, check: (LayerConfig) -> Bool)] = [
      ("Conv2D", { Self.isConv($0, filters: specs[0].shape[0], activation: "relu") }),
      ("MaxPooling2D", Self.isPool),
      ("Conv2D", { Self.isConv($0, filters: specs[2].shape[0], activation: "relu") }),
      ("MaxPooling2D", Self.isPool),
      ("Flatten", { ($0.dataFormat ?? "channels_last") == "channels_last" }),
      ("Dense", { $0.units == specs[4].shape[0] && $0.activation == "relu" && $0.useBias != false }),
      // A final Dense without softmax (logits) reads the same digits: `digits` applies softmax.
      (
        "Dense",
        {
          SeedNetwork.classRange.contains($0.units ?? 0) && ["softmax", "linear"].contains($0.activation)
            && $0.useBias != false
        }
      ),
    ]
    guard layers.count - index == plan.count else {
      throw DigitsError.file(path, "Keras model has \(layers.count - index) layers, expected \(Self.expected)")
    }
    var names: [String] = []
    for (step, (kind, check)) in plan.enumerated() {
      let layer = layers[index + step]
      guard layer.className == kind, check(layer.config) else {
        throw DigitsError.file(
          path,
          "Keras layer \(step + 1) (\(layer.className.prefix(40)) \(layer.config.name?.prefix(40) ?? "")) is not the seed CNN's \(kind); expected \(Self.expected)"
        )
      }
      if kind == "Conv2D" || kind == "Dense" {
        guard let name = layer.config.name, !name.isEmpty else {
          throw DigitsError.file(path, "Keras layer \(step + 1) has no name")
        }
        names.append(name)
      }
    }
    return (names, layers[layers.count - 1].config.units ?? 0)
  }

  static func isConv(_ c: LayerConfig, filters: Int, activation: String) -> Bool {
    c.filters == filters && c.kernelSize == [3, 3] && (c.strides ?? [1, 1]) == [1, 1]
      && (c.padding ?? "valid") == "valid"
      && (c.dataFormat ?? "channels_last") == "channels_last" && (c.dilationRate ?? [1, 1]) == [1, 1]
      && (c.groups ?? 1) == 1 && c.activation == activation && c.useBias != false
  }

  static func isPool(_ c: LayerConfig) -> Bool {
    c.poolSize == [2, 2] && (c.strides ?? [2, 2]) == [2, 2] && (c.padding ?? "valid") == "valid"
      && (c.dataFormat ?? "channels_last") == "channels_last"
  }
}
