// gemm.cl: the work-group-tiled GEMM core that conv2d.cl and dense.cl expand inside their
// kernels, and the split-K reductions that finish weight gradients (gemm_reduce_splitk) and
// split dense forward calls (dense_forward_reduce).
//
// C[M, NC] = A[M, KD] * B[KD, NC]. A and B are never materialised: each op passes element
// loaders A_AT(m, k) and B_AT(k, n), so a convolution's im2col happens in the tile loads.
// Work-item mapping: get_group_id(0) walks TS_N-wide column tiles, get_group_id(1) TS_M-high
// row tiles, get_group_id(2) split-K slices. A work-group has (TS_N/WPT_N, TS_M/WPT_M, 1)
// work-items; work-item (tn, tm) owns the WPT_M x WPT_N outputs at rows tm + i*(TS_M/WPT_M)
// and columns tn + j*(TS_N/WPT_N), so neighbouring work-items store neighbouring columns.
// Local memory: TS_K * (TS_M + TS_N + 2) floats (GEMM_PAD), plus the conv kernels' tables.
// Build-time parameters (-D, chosen per device by the host): TS_M, TS_N, TS_K, WPT_M, WPT_N.

#ifndef TS_M
#define TS_M 32
#endif
#ifndef TS_N
#define TS_N 32
#endif
#ifndef TS_K
#define TS_K 8
#endif
#ifndef WPT_M
#define WPT_M 4
#endif
#ifndef WPT_N
#define WPT_N 4
#endif

// One padding float per local tile row: the transposed tile stores (consecutive work-items
// writing consecutive k) then stride TS_M+1 floats, not a multiple of the 32 banks.
#define GEMM_PAD 1

#define RTS_M (TS_M / WPT_M)
#define RTS_N (TS_N / WPT_N)
#define GEMM_WG (RTS_M * RTS_N)
#define GEMM_ATTRIBUTES __attribute__((reqd_work_group_size(RTS_N, RTS_M, 1)))

// Declares Asub, Bsub, acc, tm, tn, m0, n0 at kernel scope (OpenCL 1.2 wants __local arrays
// there) and accumulates acc over k in [K_BEGIN, K_END). A_K_FAST / B_K_FAST (0 or 1) say
// whether consecutive k are adjacent in memory, to order the tile loads for coalescing.
#define GEMM_TILE_LOOP(M, NC, K_BEGIN, K_END, A_AT, A_K_FAST, B_AT, B_K_FAST)                 \
  GEMM_TILE_LOOP_WITH(M, NC, K_BEGIN, K_END, A_AT, A_K_FAST, B_AT, B_K_FAST, GEMM_NO_K_SETUP)

#define GEMM_NO_K_SETUP(k0)

// GEMM_TILE_LOOP with K_SETUP(k0) run at the start of each k-tile, then a barrier: the conv
// kernels fill small local tables there (the k-tile's row offsets), so the tile loads do no
// integer division (slow on GPUs, scalarised on CPU drivers: llvmpipe ran conv 20x slower).
#define GEMM_TILE_LOOP_WITH(M, NC, K_BEGIN, K_END, A_AT, A_K_FAST, B_AT, B_K_FAST, K_SETUP)    \
  __local float Asub[TS_K][TS_M + GEMM_PAD];                                                 \
  __local float Bsub[TS_K][TS_N + GEMM_PAD];                                                 \
  float acc[WPT_M][WPT_N];                                                                   \
  const int tn = get_local_id(0), tm = get_local_id(1);                                      \
  const int m0 = get_group_id(1) * TS_M, n0 = get_group_id(0) * TS_N;                        \
  for (int wm = 0; wm < WPT_M; wm++)                                                         \
    for (int wn = 0; wn < WPT_N; wn++) acc[wm][wn] = 0.0f;                                   \
  for (int k0 = (K_BEGIN); k0 < (K_END); k0 += TS_K) {                                       \
    K_SETUP(k0)                                                                              \
    for (int l = tm * RTS_N + tn; l < TS_M * TS_K; l += GEMM_WG) {                           \
      const int kk = (A_K_FAST) ? l % TS_K : l / TS_M;                                       \
      const int mm = (A_K_FAST) ? l / TS_K : l % TS_M;                                       \
      const int gm = m0 + mm, gk = k0 + kk;                                                  \
      Asub[kk][mm] = (gm < (M) && gk < (K_END)) ? A_AT(gm, gk) : 0.0f;                       \
    }                                                                                        \
    for (int l = tm * RTS_N + tn; l < TS_N * TS_K; l += GEMM_WG) {                           \
      const int kk = (B_K_FAST) ? l % TS_K : l / TS_N;                                       \
      const int nn = (B_K_FAST) ? l / TS_K : l % TS_N;                                       \
      const int gn = n0 + nn, gk = k0 + kk;                                                  \
      Bsub[kk][nn] = (gn < (NC) && gk < (K_END)) ? B_AT(gk, gn) : 0.0f;                      \
    }                                                                                        \
    barrier(CLK_LOCAL_MEM_FENCE);                                                            \
    for (int kk = 0; kk < TS_K; kk++) {                                                      \
      float bcol[WPT_N];                                                                     \
      for (int wn = 0; wn < WPT_N; wn++) bcol[wn] = Bsub[kk][tn + wn * RTS_N];               \
      for (int wm = 0; wm < WPT_M; wm++) {                                                   \
        const float a = Asub[kk][tm + wm * RTS_M];                                           \
        for (int wn = 0; wn < WPT_N; wn++) acc[wm][wn] = fma(a, bcol[wn], acc[wm][wn]);      \
      }                                                                                      \
    }                                                                                        \
    barrier(CLK_LOCAL_MEM_FENCE);                                                            \
  }

// This work-item's index in its group, and the group's first output column.
#define GEMM_LID ((int)(get_local_id(1) * RTS_N + get_local_id(0)))

// Row and column of output (wm, wn) of this work-item.
#define GEMM_ROW(wm) (m0 + tm + (wm) * RTS_M)
#define GEMM_COL(wn) (n0 + tn + (wn) * RTS_N)

// Stores output (row, col) of a weight-gradient GEMM whose last column is the bias
// gradient: into slice z of `partial` [slices][M][cols], or with `direct` (one slice) straight
// into dw[M, cols-1] and db[M], saving the reduce launch.
#define WEIGHT_GRAD_STORE(row, col, M, cols, z, value)                                         \
  do {                                                                                       \
    if (direct) {                                                                            \
      if ((col) == (cols) - 1) db[row] = (value);                                            \
      else dw[(row) * ((cols) - 1) + (col)] = (value);                                       \
    } else {                                                                                 \
      partial[((z) * (M) + (row)) * (cols) + (col)] = (value);                               \
    }                                                                                        \
  } while (0)

// Split-K reductions: the slices of a [count] result, laid out [slices][count], summed in
// parallel. A work-group is (x, lanes) work-items, x <= REDUCE_X and lanes <= REDUCE_LANES:
// work-item (i, lane) sums slices lane, lane + lanes, ... of element group*x + i (neighbouring
// work-items read neighbouring floats), then every lane adds the lanes' sums in lane order,
// so the result is the same bits on every run. Global size (count rounded up to x, lanes).
#define REDUCE_X 32
#define REDUCE_LANES 8

// The sum over slices of partial[.][i]; every work-item of the group must call it.
float reduce_slices(const __global float* partial, int i, int count, int slices,
                    __local float* sums) {
  const int x = get_local_id(0), lane = get_local_id(1), lanes = get_local_size(1);
  float s = 0.0f;
  if (i < count)
    for (int z = lane; z < slices; z += lanes) s += partial[z * count + i];
  sums[lane * REDUCE_X + x] = s;
  barrier(CLK_LOCAL_MEM_FENCE);
  float total = 0.0f;
  for (int l = 0; l < lanes; l++) total += sums[l * REDUCE_X + x];
  return total;
}

// Weight gradients [M, cols]: columns 0..cols-2 go to out[M, cols-1], column cols-1 to
// bias[M] (the weight-gradient GEMMs append a column of ones to get the bias gradient in the
// same pass). Two reductions in one launch: work-groups below groups0 do the first (partial0
// into out0 and bias0), the rest the second; a work-group takes one branch as a whole, so the
// barrier in reduce_slices is reached by all its work-items. One reduction: pass it twice
// with groups0 = every work-group.
__kernel void gemm_reduce_splitk(const __global float* partial0, __global float* out0,
                                 __global float* bias0, int M0, int cols0, int slices0,
                                 const __global float* partial1, __global float* out1,
                                 __global float* bias1, int M1, int cols1, int slices1,
                                 int groups0) {
  __local float sums[REDUCE_LANES * REDUCE_X];
  const int second = get_group_id(0) >= groups0;
  const __global float* partial = second ? partial1 : partial0;
  __global float* out = second ? out1 : out0;
  __global float* bias = second ? bias1 : bias0;
  const int M = second ? M1 : M0, cols = second ? cols1 : cols0;
  const int i = get_global_id(0) - (second ? groups0 * (int)get_local_size(0) : 0);
  const float s = reduce_slices(partial, i, M * cols, second ? slices1 : slices0, sums);
  if (i >= M * cols || get_local_id(1) != 0) return;
  const int row = i / cols, col = i - row * cols;
  if (col == cols - 1) bias[row] = s;
  else out[row * (cols - 1) + col] = s;
}

// Dense forward y[N, O] = sum of the slices + b, then ReLU if asked.
__kernel void dense_forward_reduce(const __global float* partial, const __global float* b,
                                   __global float* y, int N, int O, int slices, int relu) {
  __local float sums[REDUCE_LANES * REDUCE_X];
  const int i = get_global_id(0);
  const float s = reduce_slices(partial, i, N * O, slices, sums);
  if (i >= N * O || get_local_id(1) != 0) return;
  const float v = s + b[i % O];
  y[i] = relu ? fmax(v, 0.0f) : v;
}
