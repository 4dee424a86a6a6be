import DigitsCore

extension ModelFile {
  /// A digits model as a model of `classNames` (ten or more): the digits keep their outputs
  /// under the first ten names, and each further class gets zero weights and a bias of -100,
  /// so it never wins. A model of other classes whose answers are known, for every surface
  /// that must show the model's names.
  public func renamedForTests(_ classNames: [String], datasetName: String = "words") -> ModelFile {
    precondition(classes == MNISTShape.classes && classNames.count >= classes)
    let extra = classNames.count - classes
    var parameters = self.parameters
    parameters[6] += [Float](repeating: 0, count: extra * parameters[6].count / classes)
    parameters[7] += [Float](repeating: -100, count: extra)
    return ModelFile(
      parameters: parameters, datasetName: datasetName, classNames: classNames, calibration: calibration)
  }
}
