// pool.cl: 2x2 max pooling, stride 2, NCHW; odd trailing rows/columns are dropped.
// Letters: NC = N*C planes, H/W input size, PH = H/2, PW = W/2.
//   maxpool2_forward   one work-item per output (plane, py, px): y = max of the window and
//                      argmax = the first winner's offset in it (0..3, row-major) as a float
//   maxpool2_backward  one work-item per input (plane, y, x): dx = dy of its window when it
//                      is that window's winner, else 0 (so dx is written whole, no zero pass);
//                      with use_relu, also 0 where relu_y (the pooled ReLU's output) is not
//                      positive: the ReLU backward folded in, one launch instead of two
// Global size: the element count rounded up to the local size; any local size.

__kernel void maxpool2_forward(const __global float* x, __global float* y,
                               __global float* argmax, int NC, int H, int W) {
  const int PH = H / 2, PW = W / 2;
  const int i = get_global_id(0);
  if (i >= NC * PH * PW) return;
  const int px = i % PW, py = (i / PW) % PH, plane = i / (PW * PH);
  const __global float* window = x + (plane * H + 2 * py) * W + 2 * px;
  float best = -INFINITY;
  int arg = 0;
  for (int j = 0; j < 4; j++) {
    const float v = window[(j >> 1) * W + (j & 1)];
    if (v > best) {
      best = v;
      arg = j;
    }
  }
  y[i] = best;
  argmax[i] = (float)arg;
}

__kernel void maxpool2_backward(const __global float* dy, const __global float* argmax,
                                __global float* dx, int NC, int H, int W,
                                const __global float* relu_y, int use_relu) {
  const int PH = H / 2, PW = W / 2;
  const int i = get_global_id(0);
  if (i >= NC * H * W) return;
  const int x = i % W, y = (i / W) % H, plane = i / (W * H);
  const int py = y >> 1, px = x >> 1;
  float g = 0.0f;
  if (py < PH && px < PW) {
    const int o = (plane * PH + py) * PW + px;
    if ((int)argmax[o] == ((y & 1) << 1) + (x & 1)) g = dy[o];
  }
  dx[i] = (use_relu && !(relu_y[i] > 0.0f)) ? 0.0f : g;
}
