// probe.cl: how the driver runs long loops. Mesa's llvmpipe (under rusticl or Clover) ends
// every loop of a work-item once it has run 65535 iterations in all, over all its loops,
// without an error; a GEMM whose reduction runs longer then stores a partial sum. The
// backend runs this once per device and plans its GEMMs within what it finds.
//   loop_limit_probe  one work-item: count[0] = the iterations a loop of n of them ran.
//                     Each step adds ones[i & 1] (both 1), which no compiler folds away.
__kernel void loop_limit_probe(const __global int* ones, int n, __global int* count) {
  if (get_global_id(0) != 0) return;
  int total = 0;
  for (int i = 0; i < n; i++) total += ones[i & 1];
  count[0] = total;
}
