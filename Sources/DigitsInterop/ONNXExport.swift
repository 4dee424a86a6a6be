import DigitsCore
import Foundation
import SwiftProtobuf

/// The seed network as an ONNX model (docs/MODEL-FORMAT.md describes it): opset 17,
/// input `input` [N,1,28,28] Float32 (pixel/255, white ink on black, as `digits` feeds its
/// own network), output `probabilities` [N,classes] (softmax), N symbolic. The graph is
/// Conv, Relu, MaxPool, Conv, Relu, MaxPool, Flatten, Gemm, Relu, Gemm, Softmax, with the
/// weights as initializers under the model file's tensor names (PyTorch layout, the same
/// bytes), and the model file's metadata in `metadata_props`.
public enum ONNXExport {
  public static let opset: Int64 = 17
  /// IR version 8 is what opset 17 came with; every ONNX Runtime since 1.13 reads it.
  public static let irVersion: Int64 = 8
  public static let inputName = "input"
  public static let outputName = "probabilities"
  /// The symbolic batch dimension of the input and the output.
  public static let batchDimension = "N"

  /// The serialised ModelProto.
  public static func data(_ model: ModelFile) throws -> Data {
    try proto(model).serializedData()
  }

  /// Writes the model atomically (temporary file, then rename).
  public static func write(_ model: ModelFile, to path: String) throws {
    try AtomicFile.write(try data(model), to: path)
  }

  static func proto(_ model: ModelFile) throws -> Onnx_ModelProto {
    var graph = Onnx_GraphProto()
    graph.name = "digits_seed_cnn"
    graph.initializer = zip(SeedNetwork.parameterSpecs(classes: model.classes), model.parameters).map {
      tensor($0.name, $0.shape, $1)
    }
    graph.input = [
      value(inputName, [.symbol(batchDimension), .size(1), .size(MNISTShape.side), .size(MNISTShape.side)])
    ]
    graph.output = [value(outputName, [.symbol(batchDimension), .size(model.classes)])]
    let conv = [attribute("kernel_shape", [3, 3]), attribute("strides", [1, 1]), attribute("pads", [0, 0, 0, 0])]
    let pool = [attribute("kernel_shape", [2, 2]), attribute("strides", [2, 2])]
    graph.node = [
      node("Conv", [inputName, "conv1.weight", "conv1.bias"], "conv1", conv),
      node("Relu", ["conv1"], "relu1"),
      node("MaxPool", ["relu1"], "pool1", pool),
      node("Conv", ["pool1", "conv2.weight", "conv2.bias"], "conv2", conv),
      node("Relu", ["conv2"], "relu2"),
      node("MaxPool", ["relu2"], "pool2", pool),
      // [N,64,5,5] -> [N,1600] in NCHW order, the order fc1.weight's columns are in.
      node("Flatten", ["pool2"], "flat", [attribute("axis", 1)]),
      node("Gemm", ["flat", "fc1.weight", "fc1.bias"], "fc1", [attribute("transB", 1)]),
      node("Relu", ["fc1"], "relu3"),
      // The model's calibration temperature T divides the logits (alpha = beta = 1/T), so the
      // probabilities are the ones digits predict and serve answer with.
      node("Gemm", ["relu3", "fc2.weight", "fc2.bias"], "logits", [attribute("transB", 1)] + temperature(model)),
      node("Softmax", ["logits"], outputName, [attribute("axis", 1)]),
    ]
    var result = Onnx_ModelProto()
    result.irVersion = irVersion
    result.producerName = "digits"
    result.producerVersion = DigitsVersion.current
    result.docString =
      "The digits seed CNN (Conv32 3x3, MaxPool 2, Conv64 3x3, MaxPool 2, Dense128, Dense\(model.classes))."
    var opsetImport = Onnx_OperatorSetIdProto()
    opsetImport.domain = ""
    opsetImport.version = opset
    result.opsetImport = [opsetImport]
    result.graph = graph
    result.metadataProps = try metadata(model).sorted { $0.key < $1.key }.map { key, value in
      var entry = Onnx_StringStringEntryProto()
      entry.key = key
      entry.value = value
      return entry
    }
    return result
  }

  /// The model file's metadata, without its tensor checksum (which covers safetensors bytes).
  static func metadata(_ model: ModelFile) throws -> [String: String] {
    var metadata = try model.safetensors().metadata
    metadata[ModelFile.checksumKey] = nil
    metadata["onnx_input"] = inputName
    metadata["onnx_output"] = outputName
    return metadata
  }

  static func tensor(_ name: String, _ shape: [Int], _ values: [Float]) -> Onnx_TensorProto {
    var t = Onnx_TensorProto()
    t.name = name
    t.dims = shape.map(Int64.init)
    t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    // raw_data is little-endian, whatever the machine.
    t.rawData = values.withUnsafeBufferPointer { p in
      if Int(1).littleEndian == 1 { return Data(buffer: p) }
      return Data(p.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } })
    }
    return t
  }

  enum Dimension {
    case size(Int)
    case symbol(String)
  }

  static func value(_ name: String, _ dims: [Dimension]) -> Onnx_ValueInfoProto {
    var shape = Onnx_TensorShapeProto()
    shape.dim = dims.map { d in
      var dim = Onnx_TensorShapeProto.Dimension()
      switch d {
      case .size(let n): dim.dimValue = Int64(n)
      case .symbol(let s): dim.dimParam = s
      }
      return dim
    }
    var tensorType = Onnx_TypeProto.Tensor()
    tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    tensorType.shape = shape
    var type = Onnx_TypeProto()
    type.tensorType = tensorType
    var info = Onnx_ValueInfoProto()
    info.name = name
    info.type = type
    return info
  }

  static func node(_ op: String, _ inputs: [String], _ output: String, _ attributes: [Onnx_AttributeProto] = [])
    -> Onnx_NodeProto
  {
    var n = Onnx_NodeProto()
    n.opType = op
    n.name = output
    n.input = inputs
    n.output = [output]
    n.attribute = attributes
    return n
  }

  static func attribute(_ name: String, _ ints: [Int64]) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .ints
    a.ints = ints
    return a
  }

  /// Gemm's alpha and beta scaling fc2 by 1/T; none when the model has no calibration.
  static func temperature(_ model: ModelFile) -> [Onnx_AttributeProto] {
    let t = model.effectiveCalibration.temperature
    guard t != 1 else { return [] }
    return ["alpha", "beta"].map { name in
      var a = Onnx_AttributeProto()
      a.name = name
      a.type = .float
      a.f = Float(1 / t)
      return a
    }
  }

  static func attribute(_ name: String, _ int: Int64) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .int
    a.i = int
    return a
  }
}
