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
