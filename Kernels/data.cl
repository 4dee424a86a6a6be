// data.cl: batches built on the device from an image set kept there (pixels as bytes, labels as ushort).
//   gather_images  one work-item per output pixel of the batch (n * P of them): pixels[i, p] =
//                  images[order[start + i], p] * (1/255) and labels[i] = their label, where
//                  order holds image indices as floats (exact below 2^24); use_order == 0
//                  takes images start, start+1, ... instead. The scale is the host's
//                  Float(byte) * (1.0 / 255.0), so both paths give the same bits.
// Global size: n * P rounded up to the local size; any local size.
__kernel void gather_images(const __global uchar* images, const __global ushort* labels,
                            const __global float* order, int use_order, int start, int n, int P,
                            __global float* pixels, __global float* out_labels) {
  const int i = get_global_id(0);
  if (i >= n * P) return;
  const int slot = i / P, p = i - slot * P;
  const int image = use_order ? (int)order[start + slot] : start + slot;
  pixels[i] = (float)images[image * P + p] * (1.0f / 255.0f);
  if (p == 0) out_labels[slot] = (float)labels[image];
}
