// loss.cl: softmax and cross-entropy over the last axis of logits[N, K].
//   softmax_cross_entropy  ONE work-group of LOSS_WG work-items (LOSS_WG a power of two, a
//                          -D parameter); work-item l takes rows l, l+LOSS_WG, ...; writes
//                          dlogits = (p - onehot) / N when write_grad != 0, then reduces the
//                          loss sum and the correct count in local memory and ADDS them to
//                          stats[0], stats[1]. One group means no float atomics and a fixed
//                          summation order, so the result is deterministic.
//   softmax_probabilities  one work-item per row: p = softmax(logits)
// Rows are max-shifted; the loss is log(sum exp(l - max)) - (l[label] - max), and the
// predicted class is the first index of the row maximum.

#ifndef LOSS_WG
#define LOSS_WG 64
#endif

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1))) void softmax_cross_entropy(
    const __global float* logits, const __global float* labels, __global float* grad,
    __global float* stats, int N, int K, int write_grad) {
  __local float lossSum[LOSS_WG];
  __local float correctSum[LOSS_WG];
  const int lid = get_local_id(0);
  float loss = 0.0f, correct = 0.0f;
  for (int r = lid; r < N; r += LOSS_WG) {
    const __global float* row = logits + r * K;
    float top = row[0];
    int arg = 0;
    for (int j = 1; j < K; j++) {
      if (row[j] > top) {
        top = row[j];
        arg = j;
      }
    }
    float sum = 0.0f;
    for (int j = 0; j < K; j++) sum += exp(row[j] - top);
    const int t = (int)labels[r];
    loss += log(sum) - (row[t] - top);
    correct += (arg == t) ? 1.0f : 0.0f;
    if (write_grad) {
      for (int j = 0; j < K; j++) {
        const float p = exp(row[j] - top) / sum;
        grad[r * K + j] = (p - (j == t ? 1.0f : 0.0f)) / (float)N;
      }
    }
  }
  lossSum[lid] = loss;
  correctSum[lid] = correct;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int stride = LOSS_WG / 2; stride > 0; stride >>= 1) {
    if (lid < stride) {
      lossSum[lid] += lossSum[lid + stride];
      correctSum[lid] += correctSum[lid + stride];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0) {
    stats[0] += lossSum[0];
    stats[1] += correctSum[0];
  }
}

__kernel void softmax_probabilities(const __global float* logits, __global float* probs, int N,
                                    int K) {
  const int r = get_global_id(0);
  if (r >= N) return;
  const __global float* row = logits + r * K;
  float top = row[0];
  for (int j = 1; j < K; j++) top = fmax(top, row[j]);
  float sum = 0.0f;
  for (int j = 0; j < K; j++) sum += exp(row[j] - top);
  for (int j = 0; j < K; j++) probs[r * K + j] = exp(row[j] - top) / sum;
}
