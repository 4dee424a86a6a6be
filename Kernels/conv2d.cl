// conv2d.cl: 3x3 valid convolution, stride 1, NCHW activations, OIHW weights, as implicit
// GEMMs on gemm.cl's tile loop (the im2col patches are gathered in the tile loads, never
// stored). Letters: N batch, C in channels, K out channels, OH = H-2, OW = W-2, r = c*9 + t
// a patch row (t = ky*3 + kx), j a pixel column (n, y, x) flattened.
//   conv2d_forward          y[K, (n,oy,ox)] = w[K, C*9] * patches[C*9, (n,oy,ox)] + b, ReLU
//   conv2d_backward_input   dx[C, (n,y,x)]  = w'[C, K*9] * dy-patches[K*9, (n,y,x)], where
//                           a dy-patch reads dy[n, k, y-ky, x-kx] or 0 outside the output
//   conv2d_backward_weight  partial[z][K, C*9+1] = dy[K, (n,oy,ox)] * [patches | 1]^T over the
//                           z-th slice of the N*OH*OW pixels; column C*9 is the bias gradient.
//                           gemm_reduce_splitk sums the slices into dw and db (with one
//                           slice, direct != 0, the kernel writes them itself).
// Work-items: gemm.cl's mapping, group 0 over pixel/patch columns, group 1 over channels,
// group 2 over split-K slices (backward weight only). Local size (TS_N/WPT_N, TS_M/WPT_M, 1).

// dy[at] when the tap lands inside the output (yx = (y - ky, x - kx) within OH x OW), else 0.
float conv_grad_at(const __global float* dy, int at, int2 yx, int OH, int OW) {
  return (yx.x >= 0 && yx.x < OH && yx.y >= 0 && yx.y < OW) ? dy[at] : 0.0f;
}

__kernel GEMM_ATTRIBUTES void conv2d_forward(const __global float* x, const __global float* w,
                                             const __global float* b, __global float* y,
                                             int N, int C, int H, int W, int K, int relu) {
  const int OH = H - 2, OW = W - 2, OHW = OH * OW;
  const int cols = N * OHW, depth = C * 9;
  // colBase[nn]: offset of output pixel n0+nn's window in x; rowOff[kk]: offset of patch row
  // k0+kk (channel c, tap ky,kx) within a window. x index = colBase + rowOff.
  __local int colBase[TS_N];
  __local int rowOff[TS_K];
  for (int l = GEMM_LID; l < TS_N; l += GEMM_WG) {
    const int j = get_group_id(0) * TS_N + l;
    const int n = j / OHW, p = j - n * OHW, oy = p / OW, ox = p - oy * OW;
    colBase[l] = j < cols ? (n * C * H + oy) * W + ox : 0;
  }
#define K_SETUP(k0)                                                                          \
  if (GEMM_LID < TS_K) {                                                                     \
    const int r = (k0) + GEMM_LID, c = r / 9, t = r - c * 9, ky = t / 3;                     \
    rowOff[GEMM_LID] = (c * H + ky) * W + t - ky * 3;                                        \
  }                                                                                          \
  barrier(CLK_LOCAL_MEM_FENCE);
#define A_AT(m, k) w[(m) * depth + (k)]
#define B_AT(k, n) x[colBase[nn] + rowOff[kk]]
  GEMM_TILE_LOOP_WITH(K, cols, 0, depth, A_AT, 1, B_AT, 0, K_SETUP)
#undef A_AT
#undef B_AT
#undef K_SETUP
  for (int wm = 0; wm < WPT_M; wm++) {
    const int k = GEMM_ROW(wm);
    if (k >= K) continue;
    const float bias = b[k];
    for (int wn = 0; wn < WPT_N; wn++) {
      const int j = GEMM_COL(wn);
      if (j >= cols) continue;
      const int n = j / OHW, p = j - n * OHW;
      const float v = acc[wm][wn] + bias;
      y[(n * K + k) * OHW + p] = relu ? fmax(v, 0.0f) : v;
    }
  }
}

__kernel GEMM_ATTRIBUTES void conv2d_backward_input(const __global float* dy,
                                                    const __global float* w, __global float* dx,
                                                    int N, int C, int H, int W, int K) {
  const int OH = H - 2, OW = W - 2, HW = H * W;
  const int cols = N * HW, depth = K * 9;
  // Column nn = input pixel (n, y, x): colBase = offset of dy[n, 0, y, x], colYX = (y, x).
  // Row kk = (k, ky, kx): rowOff = k*OH*OW - ky*OW - kx, rowTap = (ky, kx), wOff = offset of
  // w[k, 0, ky, kx]. The dy element is colBase + rowOff when 0 <= y-ky < OH, 0 <= x-kx < OW.
  __local int colBase[TS_N];
  __local int2 colYX[TS_N];
  __local int rowOff[TS_K];
  __local int2 rowTap[TS_K];
  __local int wOff[TS_K];
  for (int l = GEMM_LID; l < TS_N; l += GEMM_WG) {
    const int j = get_group_id(0) * TS_N + l;
    const int n = j / HW, q = j - n * HW, y = q / W, x = q - y * W;
    colBase[l] = j < cols ? (n * K * OH + y) * OW + x : 0;
    colYX[l] = j < cols ? (int2)(y, x) : (int2)(-1000, -1000);
  }
#define K_SETUP(k0)                                                                          \
  if (GEMM_LID < TS_K) {                                                                     \
    const int r = (k0) + GEMM_LID, k = r / 9, t = r - k * 9, ky = t / 3, kx = t - ky * 3;    \
    rowOff[GEMM_LID] = k * OH * OW - ky * OW - kx;                                           \
    rowTap[GEMM_LID] = (int2)(ky, kx);                                                       \
    wOff[GEMM_LID] = k * C * 9 + t;                                                          \
  }                                                                                          \
  barrier(CLK_LOCAL_MEM_FENCE);
#define A_AT(m, k) w[wOff[kk] + (m) * 9]
#define B_AT(k, n) conv_grad_at(dy, colBase[nn] + rowOff[kk], colYX[nn] - rowTap[kk], OH, OW)
  GEMM_TILE_LOOP_WITH(C, cols, 0, depth, A_AT, 1, B_AT, 0, K_SETUP)
#undef A_AT
#undef B_AT
#undef K_SETUP
  for (int wm = 0; wm < WPT_M; wm++) {
    const int c = GEMM_ROW(wm);
    if (c >= C) continue;
    for (int wn = 0; wn < WPT_N; wn++) {
      const int j = GEMM_COL(wn);
      if (j >= cols) continue;
      const int n = j / HW, q = j - n * HW;
      dx[(n * C + c) * HW + q] = acc[wm][wn];
    }
  }
}

// Slice z covers pixels [z*chunk, min((z+1)*chunk, N*OH*OW)); chunk is a multiple of TS_K.
__kernel GEMM_ATTRIBUTES void conv2d_backward_weight(const __global float* x,
                                                     const __global float* dy,
                                                     __global float* partial, int N, int C,
                                                     int H, int W, int K, int chunk,
                                                     __global float* dw, __global float* db,
                                                     int direct) {
  const int OH = H - 2, OW = W - 2, OHW = OH * OW;
  const int pixels = N * OHW, cols = C * 9 + 1;
  const int z = get_group_id(2);
  const int kBegin = z * chunk, kEnd = min(pixels, kBegin + chunk);
  // Column nn = patch row r (c, ky, kx): tapOff = its offset within a window of x. Row kk =
  // output pixel (n, oy, ox): xOff = its window's offset in x, dyOff = offset of dy[n, 0, oy, ox].
  __local int tapOff[TS_N];
  __local int xOff[TS_K];
  __local int dyOff[TS_K];
  for (int l = GEMM_LID; l < TS_N; l += GEMM_WG) {
    const int r = get_group_id(0) * TS_N + l, c = r / 9, t = r - c * 9, ky = t / 3;
    tapOff[l] = r < cols - 1 ? (c * H + ky) * W + t - ky * 3 : 0;
  }
#define K_SETUP(k0)                                                                          \
  if (GEMM_LID < TS_K) {                                                                     \
    const int j = min((k0) + GEMM_LID, pixels - 1), n = j / OHW, p = j - n * OHW, oy = p / OW;  \
    xOff[GEMM_LID] = (n * C * H + oy) * W + p - oy * OW;                                     \
    dyOff[GEMM_LID] = n * K * OHW + p;                                                       \
  }                                                                                          \
  barrier(CLK_LOCAL_MEM_FENCE);
#define A_AT(m, k) dy[dyOff[kk] + (m) * OHW]
#define B_AT(k, n) ((n) == cols - 1 ? 1.0f : x[xOff[kk] + tapOff[nn]])
  GEMM_TILE_LOOP_WITH(K, cols, kBegin, kEnd, A_AT, 1, B_AT, 1, K_SETUP)
#undef A_AT
#undef B_AT
#undef K_SETUP
  for (int wm = 0; wm < WPT_M; wm++) {
    const int k = GEMM_ROW(wm);
    if (k >= K) continue;
    for (int wn = 0; wn < WPT_N; wn++) {
      const int r = GEMM_COL(wn);
      if (r < cols) WEIGHT_GRAD_STORE(k, r, K, cols, z, acc[wm][wn]);
    }
  }
}
