// The optimizer step of Adam/AdamW, Adadelta and RMSprop (PARAMS). Mirrors
// src/kernels/ts/optimizer.ts and src/kernels/wasm/assembly/optimizer.ts. Part of kernels-impl.h.

// ---- PARAMS: the optimizer step (Adam/AdamW, Adadelta, RMSprop) ---------------------------
// Same math as src/kernels/ts/optimizer.ts in f32 vector ops without FMA (-ffp-contract=off).
// Every element, the tail's included (masked), goes through the same vector operations, so its
// result does not depend on where a worker's range starts or ends.

struct Lanes {
  bool whole;
  M m;
  V load(const float* p) const { return whole ? T::load(p) : T::loadm(p, m); }
  void store(float* p, V v) const {
    if (whole) T::store(p, v);
    else T::storem(p, m, v);
  }
};

void optimizerStep(float* thOut, const float* th, const float* grad, const float* s0, const float* s1, const float* s2, float* s0Out, float* s1Out, float* s2Out, int64_t n, const dptrain::OptimStep& h) {
  const V p0 = T::set1(h.p[0]), p1 = T::set1(h.p[1]), p2 = T::set1(h.p[2]), p3 = T::set1(h.p[3]);
  const V p4 = T::set1(h.p[4]), p5 = T::set1(h.p[5]), l2 = T::set1(h.p[6]), decay = T::set1(h.p[7]);
  const bool momentum = h.p[4] != 0.0f, centered = h.p[5] != 0.0f;
  for (int64_t i = 0; i < n; i += N) {
    const Lanes L{i + N <= n, T::mask(static_cast<int>(n - i < N ? n - i : N))};
    const V theta = L.load(th + i);
    const V g = T::add(L.load(grad + i), T::mul(l2, theta));
    if (h.kind == 0) {
      const V m0 = L.load(s0 + i);
      const V m = T::add(m0, T::mul(p0, T::sub(g, m0)));
      const V v = T::add(T::mul(p1, L.load(s1 + i)), T::mul(T::mul(p2, g), g));
      L.store(s0Out + i, m);
      L.store(s1Out + i, v);
      const V denom = T::add(T::div(T::sqrt(v), p4), p5);
      L.store(thOut + i, T::sub(T::mul(theta, decay), T::div(T::mul(p3, m), denom)));
    } else if (h.kind == 1) {
      const V acc = L.load(s1 + i);
      const V sq = T::add(T::mul(p0, L.load(s0 + i)), T::mul(T::mul(p1, g), g));
      const V delta = T::mul(T::div(T::sqrt(T::add(acc, p2)), T::sqrt(T::add(sq, p2))), g);
      L.store(s0Out + i, sq);
      L.store(s1Out + i, T::add(T::mul(p0, acc), T::mul(T::mul(p1, delta), delta)));
      L.store(thOut + i, T::sub(theta, T::mul(p3, delta)));
    } else {
      const V sq = T::add(T::mul(p0, L.load(s0 + i)), T::mul(T::mul(p1, g), g));
      L.store(s0Out + i, sq);
      V avg;
      if (centered) {
        const V ga = T::add(T::mul(p0, L.load(s2 + i)), T::mul(p1, g));
        L.store(s2Out + i, ga);
        avg = T::add(T::sqrt(T::sub(sq, T::mul(ga, ga))), p2);
      } else {
        avg = T::add(T::sqrt(sq), p2);
      }
      if (momentum) {
        const V buf = T::add(T::mul(p4, L.load(s1 + i)), T::div(g, avg));
        L.store(s1Out + i, buf);
        L.store(thOut + i, T::sub(theta, T::mul(p3, buf)));
      } else {
        L.store(thOut + i, T::sub(theta, T::div(T::mul(p3, g), avg)));
      }
    }
  }
}
