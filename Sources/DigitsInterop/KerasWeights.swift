import DigitsCore
import Foundation

/// The four weighted layers of the seed CNN as Keras stores them, converted to this project's
/// layout (`SeedNetwork.parameterSpecs`):
/// - Conv2D kernels are HWIO `[3,3,in,out]`; here OIHW `[out,in,3,3]`.
/// - Dense kernels are `[in,out]`; here `[out,in]` (transposed).
/// - Keras flattens the last pooling output `[5,5,64]` channels-last, so fc1's input `f` is
///   `(y*5 + x)*64 + c`; here it is NCHW, `c*25 + y*5 + x`. fc1's columns are reordered.
enum KerasWeights {
  /// Where a layer's kernel and bias are stored:
  /// - Keras 3 (`.keras`, `.weights.h5`): `layers/<layer>/vars/0` (kernel) and `.../1` (bias);
  /// - Keras 2 `.h5` (`model.save`): `model_weights/<layer>/<...>/kernel[:0]` and `bias[:0]`;
  ///   Keras 2 `save_weights` writes the same without `model_weights/`.
  /// Optimizer state (`optimizer/`, `optimizer_weights/`) is skipped.
  struct Located {
    var kernel: String?
    var bias: String?
  }

  /// Keras 3 stores a Sequential's layers under names made from their class, counted per
  /// class in layer order (`conv2d`, `conv2d_1`, `dense`, `dense_1`), not under the layer
  /// names of its config.
  static let keras3Names = ["conv2d", "conv2d_1", "dense", "dense_1"]

  static func locate(_ paths: [String]) -> [String: Located] {
    var layers: [String: Located] = [:]
    for path in paths {
      var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
      guard let first = parts.first, !["optimizer", "optimizer_weights"].contains(first) else { continue }
      if first == "layers", parts.count == 4, parts[2] == "vars" {
        if parts[3] == "0" { layers[parts[1], default: Located()].kernel = path }
        if parts[3] == "1" { layers[parts[1], default: Located()].bias = path }
        continue
      }
      if first == "model_weights" { parts.removeFirst() }
      guard parts.count >= 2, let last = parts.last else { continue }
      let role = last.hasSuffix(":0") ? String(last.dropLast(2)) : last
      if role == "kernel" { layers[parts[0], default: Located()].kernel = path }
      if role == "bias" { layers[parts[0], default: Located()].bias = path }
    }
    return layers
  }

  /// The parameters in `SeedNetwork.parameterSpecs(classes:)` order. `names` are the conv,
  /// conv, dense, dense layers from the config and `classes` its last layer's units, or nil
  /// (weights-only file): then each layer is told by its kernel's shape, which differs for
  /// all four, and the class count is the last kernel's.
  static func parameters(
    _ file: HDF5File, names: [String]?, classes: Int?, flatten: KerasImport.FlattenOrder = .channelsLastToNCHW
  ) throws -> [[Float]] {
    let located = locate(try file.datasetPaths())
    let classes = try classes ?? lastLayerClasses(file, located)
    let specs = SeedNetwork.parameterSpecs(classes: classes)
    // Keras kernel shapes of the four layers, from this project's shapes.
    let kerasShapes: [[Int]] = [
      [3, 3, specs[0].shape[1], specs[0].shape[0]], [3, 3, specs[2].shape[1], specs[2].shape[0]],
      [specs[4].shape[1], specs[4].shape[0]], [specs[6].shape[1], specs[6].shape[0]],
    ]
    let withWeights = located.filter { $0.value.kernel != nil || $0.value.bias != nil }
    let order: [String]
    if let names {
      order = names
      if let extra = withWeights.keys.sorted().first(where: { !names.contains($0) }) {
        throw DigitsError.file(
          file.path, "holds weights of layer \(extra.prefix(60)), which the model config does not list")
      }
    } else {
      guard withWeights.count == 4 else {
        throw DigitsError.file(
          file.path,
          "holds weights of \(withWeights.count) layers, expected the seed CNN's 4 (Conv2D, Conv2D, Dense, Dense)")
      }
      var byShape: [Int: String] = [:]
      for (name, place) in withWeights {
        guard let kernel = place.kernel else {
          throw DigitsError.file(file.path, "layer \(name.prefix(60)) has no kernel")
        }
        let shape = try file.shape(kernel)
        guard let role = kerasShapes.firstIndex(of: shape), byShape[role] == nil else {
          throw DigitsError.file(
            file.path, "dataset \(kernel.prefix(80)) has shape \(shape), expected one of \(kerasShapes)")
        }
        byShape[role] = name
      }
      order = (0..<4).map { byShape[$0]! }
    }
    var kernels: [[Float]] = [], biases: [[Float]] = []
    for (role, name) in order.enumerated() {
      guard let place = located[name], let kernel = place.kernel, let bias = place.bias else {
        throw DigitsError.file(
          file.path, "misses the kernel or bias of layer \(name.prefix(60)); expected \(KerasConfig.expected)")
      }
      kernels.append(try read(file, kernel, kerasShapes[role]))
      biases.append(try read(file, bias, specs[2 * role + 1].shape))
    }
    return [
      convOIHW(kernels[0], kerasShapes[0]), biases[0],
      convOIHW(kernels[1], kerasShapes[1]), biases[1],
      denseFC1(kernels[2], channels: specs[2].shape[0], flatten: flatten), biases[2],
      transpose(kernels[3], rows: kerasShapes[3][0], columns: kerasShapes[3][1]), biases[3],
    ]
  }

  /// The outputs of a weights-only file's last Dense: the one kernel [128, N] with N in
  /// `SeedNetwork.classRange` (fc1's is [1600, 128]); 10 when there is none, so the error
  /// that follows names the digits network's shapes.
  static func lastLayerClasses(_ file: HDF5File, _ located: [String: Located]) throws -> Int {
    let hidden = SeedNetwork.parameterSpecs[6].shape[1]
    var found: [Int] = []
    for place in located.values {
      guard let kernel = place.kernel else { continue }
      let shape = try file.shape(kernel)
      if shape.count == 2, shape[0] == hidden, SeedNetwork.classRange.contains(shape[1]) { found.append(shape[1]) }
    }
    return found.count == 1 ? found[0] : MNISTShape.classes
  }

  /// A dataset of exactly `shape`, read after its shape is checked.
  static func read(_ file: HDF5File, _ dataset: String, _ shape: [Int]) throws -> [Float] {
    let stored = try file.shape(dataset)
    guard stored == shape else {
      throw DigitsError.file(file.path, "dataset \(dataset.prefix(80)) has shape \(stored), expected \(shape)")
    }
    let values = try file.floats(dataset, count: shape.reduce(1, *))
    guard values.allSatisfy({ $0.isFinite }) else {
      throw DigitsError.file(file.path, "dataset \(dataset.prefix(80)) holds NaN or infinite values")
    }
    return values
  }

  /// HWIO `[kh,kw,in,out]` to OIHW `[out,in,kh,kw]`.
  static func convOIHW(_ k: [Float], _ shape: [Int]) -> [Float] {
    let (kh, kw, inputs, outputs) = (shape[0], shape[1], shape[2], shape[3])
    var w = [Float](repeating: 0, count: k.count)
    for o in 0..<outputs {
      for i in 0..<inputs {
        for y in 0..<kh {
          for x in 0..<kw {
            w[((o * inputs + i) * kh + y) * kw + x] = k[((y * kw + x) * inputs + i) * outputs + o]
          }
        }
      }
    }
    return w
  }

  /// Keras' fc1 kernel `[1600,128]` (rows in channels-last order) to `[128,1600]` with
  /// columns in NCHW order.
  static func denseFC1(_ k: [Float], channels: Int, flatten: KerasImport.FlattenOrder) -> [Float] {
    let outputs = SeedNetwork.parameterSpecs[4].shape[0], inputs = SeedNetwork.parameterSpecs[4].shape[1]
    guard flatten == .channelsLastToNCHW else { return transpose(k, rows: inputs, columns: outputs) }
    let area = inputs / channels
    var w = [Float](repeating: 0, count: k.count)
    for o in 0..<outputs {
      for c in 0..<channels {
        for p in 0..<area {  // p = y*5 + x
          w[o * inputs + c * area + p] = k[(p * channels + c) * outputs + o]
        }
      }
    }
    return w
  }

  /// `[rows,columns]` to `[columns,rows]`.
  static func transpose(_ k: [Float], rows: Int, columns: Int) -> [Float] {
    var w = [Float](repeating: 0, count: k.count)
    for r in 0..<rows {
      for c in 0..<columns { w[c * rows + r] = k[r * columns + c] }
    }
    return w
  }
}
