/// OpenCL C sources compiled into the binary, so nothing has to be found at run time.
public enum KernelSources {
  /// Every kernel file as (file name, source), in the order the OpenCL program concatenates
  /// them: gemm.cl comes first because conv2d.cl and dense.cl expand its GEMM_TILE_LOOP.
  public static var all: [(file: String, source: String)] {
    [
      ("gemm.cl", text(PackageResources.gemm_cl)),
      ("conv2d.cl", text(PackageResources.conv2d_cl)),
      ("dense.cl", text(PackageResources.dense_cl)),
      ("pool.cl", text(PackageResources.pool_cl)),
      ("activation.cl", text(PackageResources.activation_cl)),
      ("loss.cl", text(PackageResources.loss_cl)),
      ("adam.cl", text(PackageResources.adam_cl)),
      ("data.cl", text(PackageResources.data_cl)),
      ("augment.cl", text(PackageResources.augment_cl)),
      ("probe.cl", text(PackageResources.probe_cl)),
    ]
  }

  private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
