// adam.cl: one Adam step with the bias corrections folded into step_size by the host:
//   m += (1 - beta1) (g - m);  v += (1 - beta2) (g^2 - v);  p -= step_size m / (sqrt(v) + eps)
//   adam_update  one work-item per parameter element, in place on p, m and v
// Global size: the element count rounded up to the local size; any local size.

__kernel void adam_update(__global float* p, const __global float* g, __global float* m,
                          __global float* v, int count, float step_size, float beta1,
                          float beta2, float eps) {
  const int i = get_global_id(0);
  if (i >= count) return;
  const float gi = g[i];
  const float mi = m[i] + (1.0f - beta1) * (gi - m[i]);
  const float vi = v[i] + (1.0f - beta2) * (gi * gi - v[i]);
  m[i] = mi;
  v[i] = vi;
  p[i] -= step_size * mi / (sqrt(vi) + eps);
}

// adam_update_all: the same step on up to ADAM_SLOTS (8) tensors in one launch (a parameter
// table as arguments: OpenCL 1.2 cannot keep buffer pointers in a buffer). Work-item i < end7
// updates element i - end(j-1) of the tensor j whose range [end(j-1), end(j)) holds i; unused
// slots repeat the last end. Global size: end7 rounded up to the local size; any local size.
// ADAM_SLOTS comes from the host (KernelConstants.swift), which passes that many slots.
#if !defined(ADAM_SLOTS) || ADAM_SLOTS != 8
#error "adam_update_all declares 8 slots; the host's KernelConstants.adamSlots must say 8"
#endif
#define ADAM_SLOT(j) __global float *p##j, const __global float *g##j, __global float *m##j, __global float *v##j, int end##j
#define ADAM_TRY(j, begin)                                                                      \
  if (i < end##j) {                                                                            \
    const int e = i - (begin);                                                                 \
    const float gi = g##j[e];                                                                  \
    const float mi = m##j[e] + (1.0f - beta1) * (gi - m##j[e]);                                \
    const float vi = v##j[e] + (1.0f - beta2) * (gi * gi - v##j[e]);                           \
    m##j[e] = mi;                                                                              \
    v##j[e] = vi;                                                                              \
    p##j[e] -= step_size * mi / (sqrt(vi) + eps);                                              \
    return;                                                                                    \
  }
__kernel void adam_update_all(ADAM_SLOT(0), ADAM_SLOT(1), ADAM_SLOT(2), ADAM_SLOT(3), ADAM_SLOT(4),
                              ADAM_SLOT(5), ADAM_SLOT(6), ADAM_SLOT(7), float step_size, float beta1,
                              float beta2, float eps) {
  const int i = get_global_id(0);
  ADAM_TRY(0, 0)
  ADAM_TRY(1, end0)
  ADAM_TRY(2, end1)
  ADAM_TRY(3, end2)
  ADAM_TRY(4, end3)
  ADAM_TRY(5, end4)
  ADAM_TRY(6, end5)
  ADAM_TRY(7, end6)
}
