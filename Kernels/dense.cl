// dense.cl: fully connected layer (weights [O, I], the PyTorch layout) as GEMMs on gemm.cl's
// tile loop. Letters: N batch rows, I inputs, O outputs.
//   dense_forward          y[N, O]  = x[N, I] * w[O, I]^T + b, then ReLU if asked; split
//                          along I when the call is too small to fill the device: slice z
//                          writes partial[z][N, O] and dense_forward_reduce finishes (with
//                          one slice, direct != 0, the kernel writes y itself)
//   dense_backward_input   dx[N, I] = dy[N, O] * w[O, I], times (relu_y > 0) with use_relu
//                          (the ReLU backward of the layer below folded in)
//   dense_backward_weight  partial[z][O, I+1] = dy^T[O, N] * [x | 1][N, I+1] over the z-th
//                          slice of the batch; column I is the bias gradient, and
//                          gemm_reduce_splitk sums the slices into dw and db; with one
//                          slice (direct != 0) the kernel writes dw and db itself.
// Work-items: gemm.cl's mapping (group 0 over output columns, group 1 over output rows,
// group 2 over split-K slices). Local size (TS_N/WPT_N, TS_M/WPT_M, 1).

// Slice z covers inputs [z*chunk, min((z+1)*chunk, I)); chunk is a multiple of TS_K.
__kernel GEMM_ATTRIBUTES void dense_forward(const __global float* x, const __global float* w,
                                            const __global float* b, __global float* y,
                                            int N, int I, int O, int relu, int chunk,
                                            __global float* partial, int direct) {
  const int z = get_group_id(2);
  const int kBegin = z * chunk, kEnd = min(I, kBegin + chunk);
#define A_AT(m, k) x[(m) * I + (k)]
#define B_AT(k, n) w[(n) * I + (k)]
  GEMM_TILE_LOOP(N, O, kBegin, kEnd, A_AT, 1, B_AT, 1)
#undef A_AT
#undef B_AT
  for (int wm = 0; wm < WPT_M; wm++) {
    const int r = GEMM_ROW(wm);
    if (r >= N) continue;
    for (int wn = 0; wn < WPT_N; wn++) {
      const int o = GEMM_COL(wn);
      if (o >= O) continue;
      if (!direct) {
        partial[(z * N + r) * O + o] = acc[wm][wn];
      } else {
        const float v = acc[wm][wn] + b[o];
        y[r * O + o] = relu ? fmax(v, 0.0f) : v;
      }
    }
  }
}

__kernel GEMM_ATTRIBUTES void dense_backward_input(const __global float* dy,
                                                   const __global float* w, __global float* dx,
                                                   int N, int I, int O,
                                                   const __global float* relu_y, int use_relu) {
#define A_AT(m, k) dy[(m) * O + (k)]
#define B_AT(k, n) w[(k) * I + (n)]
  GEMM_TILE_LOOP(N, I, 0, O, A_AT, 1, B_AT, 0)
#undef A_AT
#undef B_AT
  for (int wm = 0; wm < WPT_M; wm++) {
    const int r = GEMM_ROW(wm);
    if (r >= N) continue;
    for (int wn = 0; wn < WPT_N; wn++) {
      const int i = GEMM_COL(wn);
      if (i < I) dx[r * I + i] = (use_relu && !(relu_y[r * I + i] > 0.0f)) ? 0.0f : acc[wm][wn];
    }
  }
}

// Slice z covers batch rows [z*chunk, min((z+1)*chunk, N)); chunk is a multiple of TS_K.
__kernel GEMM_ATTRIBUTES void dense_backward_weight(const __global float* x,
                                                    const __global float* dy,
                                                    __global float* partial, int N, int I, int O,
                                                    int chunk, __global float* dw,
                                                    __global float* db, int direct) {
  const int cols = I + 1;
  const int z = get_group_id(2);
  const int kBegin = z * chunk, kEnd = min(N, kBegin + chunk);
#define A_AT(m, k) dy[(k) * O + (m)]
#define B_AT(k, n) ((n) == I ? 1.0f : x[(k) * I + (n)])
  GEMM_TILE_LOOP(O, cols, kBegin, kEnd, A_AT, 0, B_AT, 0)
#undef A_AT
#undef B_AT
  for (int wm = 0; wm < WPT_M; wm++) {
    const int o = GEMM_ROW(wm);
    if (o >= O) continue;
    for (int wn = 0; wn < WPT_N; wn++) {
      const int i = GEMM_COL(wn);
      if (i < cols) WEIGHT_GRAD_STORE(o, i, O, cols, z, acc[wm][wn]);
    }
  }
}
