import DefaultModel
import DigitsCore
import Testing

@Suite struct DefaultModelTests {
  @Test func linkedModelParses() throws {
    let model = try DefaultModel.load()
    #expect(model.parameters.map(\.count) == SeedNetwork.parameterSpecs.map { $0.shape.reduce(1, *) })
    #expect(model.dataset == .mnist)
  }
}
