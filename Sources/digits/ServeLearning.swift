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
    guard base.dataset == .mnist, base.hasDigitClasses else { return nil }
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
    var policy = FinetuneJob.Policy()
    policy.maxAccuracyDrop = maxAccuracyDrop / 100
    return FinetuneJob(
      store: store, base: base, baseName: baseName, policy: policy,
      loadData: {
        let folder = try DatasetFolder.locate(option: data, kind: .mnist)
        return (try folder.loadTraining(), try folder.loadTest())
      },
      makeBackend: { try BackendFactory.make(trainingOptions) },
      install: { model, name in
        let network = DigitClassifier(model: model, backend: try BackendFactory.make(servingOptions), batchSize: 64)
        let fallback: (() throws -> any ServingNetwork)? =
          isCPU
          ? nil
          : {
            DigitClassifier(model: model, backend: try BackendFactory.makeCPU(threads: 1), batchSize: 64)
          }
        service.serve(network, model: model, name: name, fallback: fallback)
      }, log: { Console.note($0) })
  }
}

extension Digits.Serve {
  /// Who may teach the server, or nil when learning is off: on by default on a loopback
  /// --host, where only this machine's own pages and programs reach it; elsewhere only with
  /// --learning, and then with a token (--token-file's, or a new one printed at start).
  func learningAccess() throws -> LearningAccess? {
    let loopback = LearningAccess.isLoopback(host)
    guard learning ?? loopback else { return nil }
    var token = try tokenFile.map(Self.readToken)
    if token == nil && !loopback { token = LearningAccess.makeToken() }
    return LearningAccess(boundHost: host, extraHosts: allowedHosts, token: token)
  }

  /// The first line of `path`, at least 16 characters.
  static func readToken(_ path: String) throws -> String {
    let data = try InputFile(path: path).readAll(limit: 4096)
    let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first ?? ""
    let token = line.trimmingCharacters(in: .whitespaces)
    guard token.count >= 16, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
      throw DigitsError.file(
        path, "holds no token of at least 16 printable ASCII characters on its first line (e.g. openssl rand -hex 16)")
    }
    return token
  }

  /// Says on stdout whether the page may learn here and how a client proves it may.
  static func describeLearning(_ access: LearningAccess?, tokenFile fromFile: String?, url: String) {
    guard let access else {
      Console.line("Learning from corrections is off (serve --learning turns it on, with a token).")
      return
    }
    guard let token = access.token else { return }
    if let fromFile {
      Console.line(
        "Learning needs the token in \(fromFile): open \(url)#token=TOKEN, or send Authorization: Bearer TOKEN.")
    } else {
      Console.line("Learning needs this token: open \(url)#token=\(token), or send Authorization: Bearer \(token).")
    }
  }
}
