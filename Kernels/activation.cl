// activation.cl: element-wise activation passes (the forward bias + ReLU is fused into the
// conv2d and dense GEMM epilogues).
//   relu_backward  one work-item per element: dy *= (y > 0), in place
// Global size: the element count rounded up to the local size; any local size.

__kernel void relu_backward(const __global float* y, __global float* dy, int count) {
  const int i = get_global_id(0);
  if (i < count && !(y[i] > 0.0f)) dy[i] = 0.0f;
}
