// swift-tools-version: 6.1
import PackageDescription

/// Benchmarks of the CPU backend and of every OpenCL device present, kept out of the root package so its build stays light.
/// Run from this directory: `swift package benchmark` (see README.md).
let package = Package(
  name: "DigitsBenchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(name: "digits", path: ".."),
    .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
  ],
  targets: [
    .executableTarget(
      name: "BackendBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "CPUBackend", package: "digits"),
        .product(name: "OpenCLBackend", package: "digits"),
        .product(name: "DigitsCore", package: "digits"),
      ],
      path: "Benchmarks/BackendBenchmarks",
      swiftSettings: [.unsafeFlags(["-Ounchecked"])],
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
  ]
)
