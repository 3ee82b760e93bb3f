// ReLU, the gather of u8 pixels and softmax cross-entropy (ROWS). Mirrors src/kernels/ts/relu.ts,
// gather.ts and softmax-ce.ts. Part of kernels-impl.h.

// ---- ROWS: elementwise, gather, softmax-CE ----------------------------------------------

void reluForward(float* out, const float* inp, int64_t n) {
  int64_t i = 0;
  for (; i + N <= n; i += N) T::store(out + i, T::relu(T::load(inp + i)));
  for (; i < n; i++) out[i] = inp[i] > 0 ? inp[i] : 0.0f;
}

void reluBackward(float* dinp, const float* dout, const float* out, int64_t n) {
  int64_t i = 0;
  for (; i + N <= n; i += N) T::store(dinp + i, T::keepPositive(T::load(dout + i), T::load(out + i)));
  for (; i < n; i++) dinp[i] = out[i] > 0 ? dout[i] : 0.0f;
}

// (v / 255 − mean) / std: three IEEE f32 operations per pixel, the same bits as the TS table.
void gatherRows(float* out, uint8_t* outLabels, const uint8_t* images, const uint8_t* labels, const uint32_t* rowIndex, int start, int B, int C, float mean, float std) {
  const V k255 = T::set1(255.0f), vMean = T::set1(mean), vStd = T::set1(std);
  for (int b = 0; b < B; b++) {
    const uint32_t row = rowIndex[start + b];
    const uint8_t* src = images + (int64_t)row * C;
    float* dst = out + (int64_t)b * C;
    int c = 0;
    for (; c + N <= C; c += N) T::store(dst + c, T::div(T::sub(T::div(T::u8ToFloat(src + c), k255), vMean), vStd));
    for (; c < C; c++) dst[c] = ((float)src[c] / 255.0f - mean) / std;
    outLabels[b] = labels[row];
  }
}

// Per row, in f64: max-shifted log-sum-exp; dlogits = (softmax − onehot) · gradScale.
double softmaxCrossEntropy(float* dlogits, float* losses, const float* logits, const uint8_t* labels, int B, int K, double gradScale, int* correct) {
  double lossSum = 0;
  int right = 0;
  for (int b = 0; b < B; b++) {
    const float* x = logits + (int64_t)b * K;
    double max = x[0];
    int argmax = 0;
    for (int k = 1; k < K; k++)
      if ((double)x[k] > max) {
        max = x[k];
        argmax = k;
      }
    double sumExp = 0;
    for (int k = 0; k < K; k++) sumExp += std::exp((double)x[k] - max);
    const int label = labels[b];
    const double loss = max + std::log(sumExp) - (double)x[label];
    losses[b] = (float)loss;
    lossSum += loss;
    if (argmax == label) right++;
    const double inv = 1 / sumExp;
    float* d = dlogits + (int64_t)b * K;
    for (int k = 0; k < K; k++) {
      const double pk = std::exp((double)x[k] - max) * inv;
      d[k] = (float)((k == label ? pk - 1 : pk) * gradScale);
    }
  }
  *correct = right;
  return lossSum;
}
