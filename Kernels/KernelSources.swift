/// OpenCL C sources compiled into the binary, so nothing has to be found at run time.
public enum KernelSources {
  public static var conv2d: String { String(decoding: PackageResources.conv2d_cl, as: UTF8.self) }
}
