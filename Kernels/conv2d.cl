// conv2d kernels: placeholder until the OpenCL backend lands.
