import DigitsCore
import DigitsServer
import DigitsVision
import Foundation

extension Digits.Serve {
  /// The corrections folder and the background fine-tune of `serve`. The fine-tune trains on a
  /// backend of its own, of the kind that serves (all CPU cores, or the same OpenCL device),
  /// and the model it makes is served on a new network of that kind.
  func makeLearning(
    service: PredictionService, base: ModelFile, baseName: String, options: BackendOptions,
    servingOnCPU isCPU: Bool
  ) throws -> FinetuneJob? {
    guard base.dataset == .mnist else { return nil }
    let folder = corrections ?? CorrectionStore.defaultFolder
    let store = try CorrectionStore(folder: folder)
    let data = self.data
    var training = options
    training.threads = nil
    var serving = options
    if isCPU {
      training.backend = .cpu
      serving.backend = .cpu
    }
    let (trainingOptions, servingOptions) = (training, serving)
    return FinetuneJob(
      store: store, base: base, baseName: baseName,
      loadData: {
        let folder = try DatasetFolder.locate(option: data, kind: .mnist)
        return (try folder.loadTraining(), try folder.loadTest())
      },
      makeBackend: { try BackendFactory.make(trainingOptions) },
      install: { model in
        let network = DigitClassifier(model: model, backend: try BackendFactory.make(servingOptions), batchSize: 64)
        let fallback: (() throws -> any ServingNetwork)? =
          isCPU
          ? nil
          : {
            DigitClassifier(model: model, backend: try BackendFactory.makeCPU(threads: 1), batchSize: 64)
          }
        service.serve(network, fallback: fallback)
      })
  }
}
