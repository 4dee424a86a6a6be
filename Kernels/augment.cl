// augment.cl: data.cl's gather with the augmentation of `digits train --recipe best`,
// step for step and draw for draw DigitsVision's `Augmentation.augment` with
// relayoutAdjustsStrokes false (`Augmentation.bestOnDevice`).
//   augment_images  one work-group per batch slot (get_group_id(0)); the image lives in local
//                   memory (cur/other: side * side floats each, passed as its last two
//                   arguments, __local: KernelConstants.augmentLocalImages).
//                   Work-item 0 makes every random draw, in the host's order, from its own
//                   xoshiro256** (SeededGenerator, seeded through SplitMix64 with the slot's
//                   seed: aug_image_seed), including the noise's 2 a pixel (a chain: written
//                   to local memory for the group to use), and the centre of mass (summed in
//                   the host's order); the group does the pixel work and the max/box reductions.
// Local size: any up to AUG_GROUP_MAX (barriers between the steps). Global size: n * local size.
// Float results match the host within the ulps of sin/cos/exp/log/sqrt and division; the
// uniform draws are exact (FP_CONTRACT OFF: no fused multiply-add where the host has none).

typedef struct {
  ulong s0, s1, s2, s3;
} aug_rng;

// Output `slot + 1` of SplitMix64 from `batch_seed`: DeviceAugmentation.imageSeed.
inline ulong aug_image_seed(ulong batch_seed, int slot) {
  ulong z = batch_seed + 0x9E3779B97F4A7C15UL * (ulong)(slot + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
  return z ^ (z >> 31);
}

inline ulong aug_splitmix(ulong* x) {
  *x += 0x9E3779B97F4A7C15UL;
  ulong z = *x;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
  return z ^ (z >> 31);
}

inline aug_rng aug_rng_seeded(ulong seed) {
  aug_rng r;
  r.s0 = aug_splitmix(&seed);
  r.s1 = aug_splitmix(&seed);
  r.s2 = aug_splitmix(&seed);
  r.s3 = aug_splitmix(&seed);
  return r;
}

inline ulong aug_next(aug_rng* r) {
  const ulong result = rotate(r->s1 * 5, (ulong)7) * 9;
  const ulong t = r->s1 << 17;
  r->s2 ^= r->s0;
  r->s3 ^= r->s1;
  r->s1 ^= r->s2;
  r->s0 ^= r->s3;
  r->s2 ^= t;
  r->s3 = rotate(r->s3, (ulong)45);
  return result;
}

// Uniform in [lo, hi) from the top 24 bits, evaluated as the host does.
inline float aug_uniform(aug_rng* r, float lo, float hi) {
#pragma OPENCL FP_CONTRACT OFF
  const float span = hi - lo;
  const float scaled = span * (float)(aug_next(r) >> 40);
  return lo + scaled * (1.0f / 16777216.0f);
}

// Standard normal (Box-Muller), as Augmentation.gaussian, from two draws' top 24 bits (as
// floats: exact): uniform(0, 1) is then bits * 2^-24, exactly as aug_uniform gives it.
inline float aug_gaussian(float bits1, float bits2) {
#pragma OPENCL FP_CONTRACT OFF
  const float u1 = fmax(bits1 * (1.0f / 16777216.0f), 1e-7f);
  const float u2 = bits2 * (1.0f / 16777216.0f);
  return sqrt(-2.0f * log(u1)) * cos((2.0f * M_PI_F) * u2);
}

inline float aug_at(__local const float* img, int x, int y, int side) {
  return x < 0 || y < 0 || x >= side || y >= side ? 0.0f : img[y * side + x];
}

// Resample.Taps weight of input i for output j when n inputs become m outputs: the overlap
// of [j*n, (j+1)*n) and [i*m, (i+1)*m) (exact integers, units of 1/m input pixel) over n.
inline float aug_tap(int j, int i, int n, int m) {
  const int overlap = min((j + 1) * n, (i + 1) * m) - max(j * n, i * m);
  return overlap > 0 ? (float)overlap / (float)n : 0.0f;
}

// Output j of resampling n -> o -> f by area twice (MNISTLayout.field without strokes) along
// one axis, from `line` (stride `stride`): sum over the o-pixels k that j covers of
// tap(j, k, o, f) * sum over the inputs i that k covers of tap(k, i, n, o) * line[i].
inline float aug_area2(__local const float* line, int stride, int j, int n, int o, int f) {
#pragma OPENCL FP_CONTRACT OFF
  float s = 0.0f;
  for (int k = j * o / f; k * f < (j + 1) * o && k < o; ++k) {
    const float wk = aug_tap(j, k, o, f);
    if (wk == 0.0f) continue;
    float t = 0.0f;
    for (int i = k * n / o; i * o < (k + 1) * n && i < n; ++i) {
      const float wi = aug_tap(k, i, n, o);
      if (wi != 0.0f) t += line[i * stride] * wi;
    }
    s += t * wk;
  }
  return s;
}

// The host's largest local size, the partials' length: from the host (KernelConstants.swift).
#ifndef AUG_GROUP_MAX
#error "AUG_GROUP_MAX is passed by the host (-D)"
#endif

// The largest of img[0..<count), in every work-item; all work-items of the group must call it.
inline float aug_group_max(__local const float* img, int count, __local float* partial) {
  const int lid = get_local_id(0), local_size = get_local_size(0);
  float m = -MAXFLOAT;
  for (int i = lid; i < count; i += local_size) m = fmax(m, img[i]);
  partial[lid] = m;
  barrier(CLK_LOCAL_MEM_FENCE);
  float r = partial[0];
  for (int i = 1; i < local_size; ++i) r = fmax(r, partial[i]);
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}

// The draws and the serial parts are made by work-item 0 into these, read by all after a barrier.
typedef struct {
  int affine, thicken, morph, relayout, blur, noise;
  float i00, i01, i10, i11, tx, ty, strength, noise_sigma;
  float kernel5[5];
  int x0, y0, w, h, ow, oh, fw, fh, ox, oy;
} aug_plan;

__kernel void augment_images(const __global uchar* images, const __global ushort* labels,
                             const __global float* order, int use_order, int start, int side,
                             int seed_lo, int seed_hi, float affine_p, float max_rotation,
                             float scale_lo, float scale_hi, float max_aspect, float max_shear,
                             float max_shift, float thickness_p, float blur_p, float noise_p,
                             float max_noise, float relayout_p, float ink_threshold, int box,
                             int oversample, float centre_x, float centre_y,
                             __global float* pixels, __global float* out_labels,
                             __local float* cur, __local float* other) {
#pragma OPENCL FP_CONTRACT OFF
  __local aug_plan plan;
  __local float partial[AUG_GROUP_MAX];
  __local int ink[4 * AUG_GROUP_MAX];
  const int slot = get_group_id(0), lid = get_local_id(0), local_size = get_local_size(0);
  const int P = side * side;
  const int image = use_order ? (int)order[start + slot] : start + slot;
  for (int p = lid; p < P; p += local_size) cur[p] = (float)images[image * P + p] * (1.0f / 255.0f);
  if (lid == 0) out_labels[slot] = (float)labels[image];

  // Every draw but the noise's per-pixel ones, in Augmentation.augment's order.
  aug_rng rng;
  if (lid == 0) {
    const ulong batch_seed = ((ulong)(uint)seed_hi << 32) | (ulong)(uint)seed_lo;
    rng = aug_rng_seeded(aug_image_seed(batch_seed, slot));
    plan.affine = aug_uniform(&rng, 0.0f, 1.0f) < affine_p;
    if (plan.affine) {
      const float angle = aug_uniform(&rng, -max_rotation, max_rotation);
      const float s = aug_uniform(&rng, scale_lo, scale_hi);
      const float aspect = sqrt(1.0f + aug_uniform(&rng, -max_aspect, max_aspect));
      const float shear = aug_uniform(&rng, -max_shear, max_shear);
      plan.tx = aug_uniform(&rng, -max_shift, max_shift);
      plan.ty = aug_uniform(&rng, -max_shift, max_shift);
      const float c = cos(angle), sn = sin(angle);
      const float sx = s * aspect, sy = s / aspect;
      const float a00 = c * sx, a01 = c * shear * sy - sn * sy;
      const float a10 = sn * sx, a11 = sn * shear * sy + c * sy;
      const float det = a00 * a11 - a01 * a10;
      plan.i00 = a11 / det;
      plan.i01 = -a01 / det;
      plan.i10 = -a10 / det;
      plan.i11 = a00 / det;
    }
    plan.morph = aug_uniform(&rng, 0.0f, 1.0f) < thickness_p;
    if (plan.morph) {
      plan.thicken = aug_uniform(&rng, 0.0f, 1.0f) < 0.5f;
      plan.strength = aug_uniform(&rng, 0.3f, 1.0f);
    }
    plan.relayout = aug_uniform(&rng, 0.0f, 1.0f) < relayout_p;
    plan.blur = aug_uniform(&rng, 0.0f, 1.0f) < blur_p;
    if (plan.blur) {
      const float sigma = aug_uniform(&rng, 0.4f, 0.9f);
      float sum = 0.0f;
      for (int t = -2; t <= 2; ++t) {
        plan.kernel5[t + 2] = exp(-(float)(t * t) / (2.0f * sigma * sigma));
        sum += plan.kernel5[t + 2];
      }
      for (int t = 0; t < 5; ++t) plan.kernel5[t] = plan.kernel5[t] / sum;
    }
    plan.noise = aug_uniform(&rng, 0.0f, 1.0f) < noise_p;
    if (plan.noise) plan.noise_sigma = aug_uniform(&rng, 0.0f, max_noise);
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  __local float* t;

  // Affine: inverse-mapped bilinear warp about the field's centre.
  if (plan.affine) {
    const float centre = (float)(side - 1) / 2.0f;
    for (int p = lid; p < P; p += local_size) {
      const int y = p / side, x = p - y * side;
      const float dx = (float)x - centre - plan.tx, dy = (float)y - centre - plan.ty;
      const float u = plan.i00 * dx + plan.i01 * dy + centre, v = plan.i10 * dx + plan.i11 * dy + centre;
      const float fu = floor(u), fv = floor(v);
      const int x0 = (int)fu, y0 = (int)fv;
      const float fx = u - fu, fy = v - fv;
      other[p] = (aug_at(cur, x0, y0, side) * (1.0f - fx) + aug_at(cur, x0 + 1, y0, side) * fx) * (1.0f - fy) +
                 (aug_at(cur, x0, y0 + 1, side) * (1.0f - fx) + aug_at(cur, x0 + 1, y0 + 1, side) * fx) * fy;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    t = cur, cur = other, other = t;
  }

  // Thickness: grey-level dilation or erosion by a 3x3 cross, blended by strength.
  if (plan.morph) {
    for (int p = lid; p < P; p += local_size) {
      const int y = p / side, x = p - y * side;
      const float a = aug_at(cur, x - 1, y, side), b = aug_at(cur, x + 1, y, side);
      const float c = aug_at(cur, x, y - 1, side), d = aug_at(cur, x, y + 1, side), m0 = cur[p];
      const float m = plan.thicken ? fmax(fmax(fmax(fmax(m0, a), b), c), d) : fmin(fmin(fmin(fmin(m0, a), b), c), d);
      other[p] = cur[p] * (1.0f - plan.strength) + m * plan.strength;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    t = cur, cur = other, other = t;
  }

  // Relayout: crop to the ink, fit box x box (area resampling through an oversampled size),
  // peak to 1, centre of mass on (centre_x, centre_y) in whole pixels, kept inside the field.
  if (plan.relayout) {
    int x0 = side, x1 = -1, y0 = side, y1 = -1;
    for (int p = lid; p < P; p += local_size) {
      const int y = p / side, x = p - y * side;
      if (cur[p] > ink_threshold) x0 = min(x0, x), x1 = max(x1, x), y0 = min(y0, y), y1 = max(y1, y);
    }
    ink[4 * lid] = x0, ink[4 * lid + 1] = x1, ink[4 * lid + 2] = y0, ink[4 * lid + 3] = y1;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
      for (int i = 1; i < local_size; ++i) {
        x0 = min(x0, ink[4 * i]), x1 = max(x1, ink[4 * i + 1]);
        y0 = min(y0, ink[4 * i + 2]), y1 = max(y1, ink[4 * i + 3]);
      }
      plan.w = x1 >= x0 ? x1 - x0 + 1 : 0;
      plan.h = y1 - y0 + 1, plan.x0 = x0, plan.y0 = y0;
      if (plan.w > 0) {
        // round(w * box / longest * oversample) without ties (box 20, oversample 4, longest <=
        // 28 never gives one), the host's float formula exactly; fw = round(ow / oversample).
        const int longest = max(plan.w, plan.h), unit = box * oversample;
        plan.ow = max(1, (2 * plan.w * unit + longest) / (2 * longest));
        plan.oh = max(1, (2 * plan.h * unit + longest) / (2 * longest));
        plan.fw = max(1, (2 * plan.ow + oversample) / (2 * oversample));
        plan.fh = max(1, (2 * plan.oh + oversample) / (2 * oversample));
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (plan.w > 0) {
      const int w = plan.w, h = plan.h, ow = plan.ow, oh = plan.oh, fw = plan.fw, fh = plan.fh;
      // Along x: other[y * fw + fx] for the crop's rows; then along y into cur[fy * fw + fx].
      for (int p = lid; p < h * fw; p += local_size) {
        const int y = p / fw, fx = p - y * fw;
        other[p] = aug_area2(cur + (plan.y0 + y) * side + plan.x0, 1, fx, w, ow, fw);
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      for (int p = lid; p < fh * fw; p += local_size) {
        const int fy = p / fw, fx = p - fy * fw;
        cur[p] = aug_area2(other + fx, fw, fy, h, oh, fh);
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      const float peak = aug_group_max(cur, fw * fh, partial);
      if (peak > 0.0f) {
        for (int p = lid; p < fw * fh; p += local_size) cur[p] = fmin(1.0f, cur[p] / peak);
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      if (lid == 0) {
        float mass = 0.0f, mx = 0.0f, my = 0.0f;
        for (int y = 0; y < fh; ++y) {
          for (int x = 0; x < fw; ++x) {
            const float v = cur[y * fw + x];
            mass += v;
            mx += v * (float)x;
            my += v * (float)y;
          }
        }
        const float cx = mass > 0.0f ? mx / mass : (float)(fw - 1) / 2.0f;
        const float cy = mass > 0.0f ? my / mass : (float)(fh - 1) / 2.0f;
        plan.ox = max(0, min(side - fw, (int)round(centre_x - cx)));
        plan.oy = max(0, min(side - fh, (int)round(centre_y - cy)));
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      for (int p = lid; p < P; p += local_size) {
        const int y = p / side - plan.oy, x = p % side - plan.ox;
        other[p] = x >= 0 && y >= 0 && x < fw && y < fh ? cur[y * fw + x] : 0.0f;
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      t = cur, cur = other, other = t;
    }
  }

  // Blur: separable Gaussian (radius 2), peak brought back to the original's.
  if (plan.blur) {
    const float before = aug_group_max(cur, P, partial);
    for (int p = lid; p < P; p += local_size) {
      const int y = p / side, x = p - y * side;
      float s = 0.0f;
      for (int k = -2; k <= 2; ++k) {
        if (x + k >= 0 && x + k < side) s += cur[p + k] * plan.kernel5[k + 2];
      }
      other[p] = s;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int p = lid; p < P; p += local_size) {
      const int y = p / side;
      float s = 0.0f;
      for (int k = -2; k <= 2; ++k) {
        if (y + k >= 0 && y + k < side) s += other[p + k * side] * plan.kernel5[k + 2];
      }
      cur[p] = s;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const float after = aug_group_max(cur, P, partial);
    if (after > 0.0f) {
      for (int p = lid; p < P; p += local_size) cur[p] = fmin(1.0f, cur[p] * before / after);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }

  // Noise: 2 draws a pixel in pixel order. Work-item 0 runs the generator (a chain) for half
  // the image at a time into `other`; the group turns the draws into noise.
  if (plan.noise) {
    const int chunk = P / 2;
    for (int first = 0; first < P; first += chunk) {
      const int count = min(chunk, P - first);
      if (lid == 0) {
        for (int i = 0; i < 2 * count; ++i) other[i] = (float)(aug_next(&rng) >> 40);
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      for (int i = lid; i < count; i += local_size) {
        const float g = aug_gaussian(other[2 * i], other[2 * i + 1]);
        cur[first + i] = fmin(1.0f, fmax(0.0f, cur[first + i] + plan.noise_sigma * g));
      }
      barrier(CLK_LOCAL_MEM_FENCE);
    }
  }
  for (int p = lid; p < P; p += local_size) pixels[slot * P + p] = cur[p];
}
