// swift-tools-version: 6.2
import PackageDescription

/// The CPU kernels (Sources/CPUKernels, one source) are compiled once per instruction set, each
/// copy a module of its own reached through a symlink (SwiftPM refuses overlapping target paths);
/// CPUBackend picks one at run time (CPUBackend.docc). Bounds checks stop loops from vectorising
/// (docs/PERFORMANCE.md has the numbers), hence -Ounchecked on all of them.
/// `#if arch` is the machine that evaluates this manifest, not the build's target: cross-compiling
/// from x86-64 to arm64 would pass x86 flags (build on the arm64 machine, or in an arm64 container).
func simdFlags(_ cpu: String?, _ defines: [String]) -> [SwiftSetting] {
  let target = cpu.map { ["-target-cpu", $0] } ?? []
  return [
    .unsafeFlags(["-Ounchecked"] + target, .when(configuration: .release)),
    .unsafeFlags(target, .when(configuration: .debug)),
  ] + defines.map { .define($0) }
}
#if arch(x86_64)
  let cpuKernelTargets: [Target] = [
    .target(
      name: "CPUKernelsAVX512", dependencies: ["DigitsCore", "CPUKernelInterface"],
      swiftSettings: simdFlags("skylake-avx512", ["DIGITS_AVX512", "DIGITS_FMA"])),
    .target(
      name: "CPUKernelsAVX2", dependencies: ["DigitsCore", "CPUKernelInterface"],
      swiftSettings: simdFlags("haswell", ["DIGITS_FMA"])),
    .target(
      name: "CPUKernelsPortable", dependencies: ["DigitsCore", "CPUKernelInterface"], swiftSettings: simdFlags(nil, [])),
  ]
#else
  let cpuKernelTargets: [Target] = [
    .target(
      name: "CPUKernelsPortable", dependencies: ["DigitsCore", "CPUKernelInterface"], swiftSettings: simdFlags(nil, []))
  ]
#endif

let package = Package(
  name: "digits",
  platforms: [.macOS(.v13)],
  products: [
    // MARK: - Public API
    .executable(name: "digits", targets: ["digits"]),
    .library(name: "DigitsCore", targets: ["DigitsCore"]),
    .library(name: "DigitsVision", targets: ["DigitsVision"]),
    .library(name: "CPUBackend", targets: ["CPUBackend"]),
    .library(name: "OpenCLBackend", targets: ["OpenCLBackend"]),
    .library(name: "DigitsInterop", targets: ["DigitsInterop"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // No default traits: the server needs neither swift-configuration nor full Foundation.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    // For the tests' HTTP client (_HTTPTesting); both already in the graph through Hummingbird.
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    // ONNX export (the runtime library; onnx.pb.swift is generated once and committed).
    .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
  ],
  targets: [
    // MARK: - Public API
    .executableTarget(
      name: "digits",
      dependencies: [
        "DigitsCore", "DigitsVision", "DigitsDownload", "CPUBackend", "OpenCLBackend", "DefaultModel", "DigitsServer",
        "DigitsInterop", "DigitsChecks",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Hummingbird", package: "hummingbird"),
      ]),
    .target(
      name: "DigitsServer",
      dependencies: ["DigitsCore", "DigitsVision", .product(name: "Hummingbird", package: "hummingbird")],
      resources: [.embedInCode("Page/index.html"), .embedInCode("Page/page.js"), .embedInCode("Page/page.css")]),
    /// Tensors, the network, training, model files and reports: no image decoding, no networking.
    .target(name: "DigitsCore", dependencies: ["CZlib", "CDeflate", "CSHA256"]),
    /// Decoding pictures (stb_image, PNG, libwebp, libheif) and laying them out as MNIST digits;
    /// training augmentation.
    .target(name: "DigitsVision", dependencies: ["DigitsCore", "CStb", "CZlib", "CWebP", "CHeif"]),
    /// Fetching the datasets over HTTPS (FoundationNetworking, so libcurl) with checksums; the
    /// EMNIST archive is a zip (libzip).
    .target(name: "DigitsDownload", dependencies: ["DigitsCore", "CLibzip", "CCurl"]),
    .target(
      name: "CPUBackend",
      dependencies: ["DigitsCore", "CPUKernelInterface"] + cpuKernelTargets.map { .target(name: $0.name) }),
    .target(name: "OpenCLBackend", dependencies: ["DigitsCore", "COpenCL", "Kernels"]),
    .target(name: "DefaultModel", dependencies: ["DigitsCore", "DigitsVision", "CPUBackend", "_DefaultModelData"]),
    /// Models in and out: ONNX export (swift-protobuf), Keras import (libhdf5, libzip).
    .target(
      name: "DigitsInterop",
      dependencies: [
        "DigitsCore", "CHDF5", "CLibzip", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]),

    // MARK: - Implementation details
    .target(name: "CPUKernelInterface", dependencies: ["DigitsCore"]),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .systemLibrary(
      name: "CDeflate", path: "Sources/CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
    .systemLibrary(name: "CStb", path: "Sources/CStb"),
    .systemLibrary(name: "CWebP", path: "Sources/CWebP", pkgConfig: "libwebp", providers: [.apt(["libwebp-dev"])]),
    // libheif's header only: the library is loaded with dlopen on the first HEIC picture.
    .target(name: "CHeif", path: "Sources/CHeif"),
    .target(name: "CSHA256", path: "Sources/CSHA256"),
    // libcurl's header only: the library is loaded with dlopen on the first download.
    .target(name: "CCurl", path: "Sources/CCurl"),
    // HDF5's header only: the library is loaded with dlopen on the first .h5 file.
    .target(name: "CHDF5", path: "Sources/CHDF5"),
    .systemLibrary(name: "CLibzip", path: "Sources/CLibzip", pkgConfig: "libzip", providers: [.apt(["libzip-dev"])]),
    .target(name: "COpenCL", path: "Sources/COpenCL"),
    .target(
      name: "Kernels", path: "Kernels",
      exclude: [],
      resources: [
        .embedInCode("gemm.cl"), .embedInCode("conv2d.cl"), .embedInCode("dense.cl"),
        .embedInCode("pool.cl"), .embedInCode("activation.cl"), .embedInCode("loss.cl"),
        .embedInCode("adam.cl"), .embedInCode("data.cl"), .embedInCode("augment.cl"),
        .embedInCode("probe.cl"),
      ]),
    /// The server tests' HTTP client: HummingbirdTesting's interface without its TLS stack.
    .target(
      name: "_HTTPTesting",
      dependencies: [
        .product(name: "Hummingbird", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "HummingbirdCore", package: "hummingbird"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]),
    /// Backend agreement checks and the Float64 reference backend, for the tests and for
    /// `digits devices --check` on a machine without Swift.
    .target(name: "DigitsChecks", dependencies: ["DigitsCore", "DigitsVision"]),
    .target(name: "_TestSupport", dependencies: ["DigitsCore", "DigitsVision", "DigitsChecks", "CZlib"]),
    // The .safetensors files are compiled in by DefaultModelData.c (#embed), not resources.
    .target(
      name: "_DefaultModelData", exclude: ["default.safetensors", "judge.safetensors"],
      cSettings: [.headerSearchPath(".")]),

    // MARK: - Tests
    .testTarget(name: "DigitsCoreTests", dependencies: ["DigitsCore", "DigitsVision", "_TestSupport"]),
    .testTarget(name: "CPUBackendTests", dependencies: ["CPUBackend", "_TestSupport"]),
    .testTarget(
      name: "OpenCLBackendTests", dependencies: ["OpenCLBackend", "CPUBackend", "DigitsVision", "_TestSupport"]),
    .testTarget(name: "TrainingTests", dependencies: ["DigitsCore", "DigitsVision", "CPUBackend", "_TestSupport"]),
    .testTarget(
      name: "PredictTests",
      dependencies: ["DigitsCore", "DigitsVision", "CPUBackend", "DefaultModel", "_TestSupport", "CStb", "CZlib"]),
    .testTarget(name: "DigitsCLITests", dependencies: ["DigitsCore", "_TestSupport"]),
    .testTarget(
      name: "ServerTests",
      dependencies: [
        "DigitsServer", "DigitsCore", "DigitsVision", "CPUBackend", "DefaultModel", "_TestSupport", "CStb",
        "_HTTPTesting", .product(name: "NIOPosix", package: "swift-nio"),
      ]),
    .testTarget(
      name: "InteropTests", dependencies: ["DigitsInterop", "DigitsCore", "CPUBackend", "DefaultModel", "_TestSupport"]),
    .testTarget(name: "ReportTests", dependencies: ["DigitsCore", "DigitsDownload", "_TestSupport", "CStb", "CCurl"]),
  ] + cpuKernelTargets
)

// MARK: - Fuzzing (only when Fuzz/run sets DIGITS_FUZZ=1; Fuzz/README.md)
// Instruments the three modules that parse untrusted bytes for libFuzzer + AddressSanitizer
// (nothing else, so SwiftNIO builds as usual) and exports what Fuzz/Package.swift needs.
if Context.environment["DIGITS_FUZZ"] == "1" {
  for target in package.targets
  where ["DigitsCore", "DigitsVision", "DigitsServer", "DigitsInterop"].contains(target.name) {
    target.swiftSettings =
      (target.swiftSettings ?? []) + [.unsafeFlags(["-sanitize=fuzzer,address", "-enable-testing"])]
  }
  package.products += [
    .library(name: "DigitsServer", targets: ["DigitsServer"]),
    .library(name: "DefaultModel", targets: ["DefaultModel"]),
  ]
}
