// conv2d.cl: 3x3 valid convolution, stride 1, NCHW activations, OIHW weights, as implicit
// GEMMs on gemm.cl's tile loop (the im2col patches are gathered in the tile loads, never
// stored). Letters: N batch, C in channels, K out channels, OH = H-2, OW = W-2, r = c*9 + t
// a patch row (t = ky*3 + kx), j a pixel column (n, y, x) flattened.
//   conv2d_forward          y[K, (n,oy,ox)] = w[K, C*9] * patches[C*9, (n,oy,ox)] + b, ReLU
//   conv2d_backward_input   dx[C, (n,y,x)]  = w'[C, K*9] * dy-patches[K*9, (n,y,x)], where
//                           a dy-patch reads dy[n, k, y-ky, x-kx] or 0 outside the output
//   conv2d_backward_weight  partial[z][K, C*9+1] = dy[K, (n,oy,ox)] * [patches | 1]^T over the
//                           z-th slice of the N*OH*OW pixels; column C*9 is the bias gradient.
//                           gemm_reduce_splitk sums the slices into dw and db.
// Work-items: gemm.cl's mapping, group 0 over pixel/patch columns, group 1 over channels,
// group 2 over split-K slices (backward weight only). Local size (TS_N/WPT_N, TS_M/WPT_M, 1).

// patches[r, j] of x[N, C, H, W] for output pixel j = (n, oy, ox).
float conv_patch(const __global float* x, int C, int H, int W, int OW, int OHW, int r,
                 int j) {
  const int n = j / OHW, p = j - n * OHW;
  const int oy = p / OW, ox = p - oy * OW;
  const int c = r / 9, t = r - c * 9;
  const int ky = t / 3, kx = t - ky * 3;
  return x[((n * C + c) * H + oy + ky) * W + ox + kx];
}

// dy-patches[r, j] of dy[N, K, OH, OW] for input pixel j = (n, y, x), r = k*9 + t.
float conv_grad_patch(const __global float* dy, int K, int H, int W, int OH, int OW, int r,
                      int j) {
  const int HW = H * W;
  const int n = j / HW, q = j - n * HW;
  const int y = q / W, x = q - y * W;
  const int k = r / 9, t = r - k * 9;
  const int ky = t / 3, kx = t - ky * 3;
  const int oy = y - ky, ox = x - kx;
  if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) return 0.0f;
  return dy[((n * K + k) * OH + oy) * OW + ox];
}

__kernel GEMM_ATTRIBUTES void conv2d_forward(const __global float* x, const __global float* w,
                                             const __global float* b, __global float* y,
                                             int N, int C, int H, int W, int K, int relu) {
  const int OH = H - 2, OW = W - 2, OHW = OH * OW;
  const int cols = N * OHW, depth = C * 9;
#define A_AT(m, k) w[(m) * depth + (k)]
#define B_AT(k, n) conv_patch(x, C, H, W, OW, OHW, k, n)
  GEMM_TILE_LOOP(K, cols, 0, depth, A_AT, 1, B_AT, 0)
#undef A_AT
#undef B_AT
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
#define A_AT(m, k) w[((k) / 9 * C + (m)) * 9 + (k) % 9]
#define B_AT(k, n) conv_grad_patch(dy, K, H, W, OH, OW, k, n)
  GEMM_TILE_LOOP(C, cols, 0, depth, A_AT, 1, B_AT, 0)
#undef A_AT
#undef B_AT
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
                                                     int H, int W, int K, int chunk) {
  const int OH = H - 2, OW = W - 2, OHW = OH * OW;
  const int pixels = N * OHW, cols = C * 9 + 1;
  const int z = get_group_id(2);
  const int kBegin = z * chunk, kEnd = min(pixels, kBegin + chunk);
#define A_AT(m, k) dy[((k) / OHW * K + (m)) * OHW + (k) % OHW]
#define B_AT(k, n) ((n) == cols - 1 ? 1.0f : conv_patch(x, C, H, W, OW, OHW, n, k))
  GEMM_TILE_LOOP(K, cols, kBegin, kEnd, A_AT, 1, B_AT, 1)
#undef A_AT
#undef B_AT
  for (int wm = 0; wm < WPT_M; wm++) {
    const int k = GEMM_ROW(wm);
    if (k >= K) continue;
    for (int wn = 0; wn < WPT_N; wn++) {
      const int r = GEMM_COL(wn);
      if (r < cols) partial[(z * K + k) * cols + r] = acc[wm][wn];
    }
  }
}
