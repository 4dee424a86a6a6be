// swift-tools-version: 6.2
import PackageDescription

/// libFuzzer targets for the code that reads untrusted bytes (README.md). Build and run them
/// with `Fuzz/run`: it sets DIGITS_FUZZ=1, which makes the root package instrument DigitsCore,
/// DigitsVision and DigitsServer for coverage and AddressSanitizer and export DigitsServer and DefaultModel.
let fuzzer: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-parse-as-library"])]
let linkFuzzer: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]
let core: [Target.Dependency] = [
  "FuzzDriver", "InstrumentedStb", .product(name: "DigitsCore", package: "digits"),
  .product(name: "DigitsVision", package: "digits"),
]

/// The learning targets: the server's own checks, no model.
let server: [Target.Dependency] = [
  "FuzzDriver", .product(name: "DigitsCore", package: "digits"), .product(name: "DigitsServer", package: "digits"),
  .product(name: "Hummingbird", package: "hummingbird"),
]

let package = Package(
  name: "DigitsFuzz",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(name: "digits", path: ".."),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
  ],
  targets: [
    .target(name: "FuzzDriver"),
    .target(name: "InstrumentedStb", cSettings: [.unsafeFlags(["-fsanitize=fuzzer-no-link,address", "-O1"])]),
    .executableTarget(name: "FuzzIDX", dependencies: core, swiftSettings: fuzzer, linkerSettings: linkFuzzer),
    .executableTarget(
      name: "FuzzModelFile", dependencies: core + [.product(name: "DefaultModel", package: "digits")],
      swiftSettings: fuzzer, linkerSettings: linkFuzzer),
    .executableTarget(name: "FuzzImageDecoder", dependencies: core, swiftSettings: fuzzer, linkerSettings: linkFuzzer),
    .executableTarget(name: "FuzzWebP", dependencies: core, swiftSettings: fuzzer, linkerSettings: linkFuzzer),
    .executableTarget(name: "FuzzHEIF", dependencies: core, swiftSettings: fuzzer, linkerSettings: linkFuzzer),
    .executableTarget(name: "FuzzRawInput", dependencies: core, swiftSettings: fuzzer, linkerSettings: linkFuzzer),
    .executableTarget(
      name: "FuzzKerasImport", dependencies: ["FuzzDriver", .product(name: "DigitsInterop", package: "digits")],
      swiftSettings: fuzzer, linkerSettings: linkFuzzer),
    .executableTarget(
      name: "FuzzLearningJSON", dependencies: server, swiftSettings: fuzzer, linkerSettings: linkFuzzer),
    .executableTarget(
      name: "FuzzLearningAccess", dependencies: server, swiftSettings: fuzzer, linkerSettings: linkFuzzer),
    .executableTarget(
      name: "FuzzCorrectionStore", dependencies: server, swiftSettings: fuzzer, linkerSettings: linkFuzzer),
    .executableTarget(
      name: "FuzzServer",
      dependencies: core + [
        .product(name: "DigitsServer", package: "digits"), .product(name: "DefaultModel", package: "digits"),
        .product(name: "CPUBackend", package: "digits"), .product(name: "HummingbirdCore", package: "hummingbird"),
      ],
      swiftSettings: fuzzer, linkerSettings: linkFuzzer),
  ]
)
