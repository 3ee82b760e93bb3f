// Node-API glue for the native kernels. kernelSet(isa, arena) returns an object of kernel
// functions that carry their own arena and instruction set (the functions' callback data), so two
// sets in one thread (the kernel bench, the tests: avx512 beside avx2, or two arenas) never share
// state. Kernels take byte offsets into the arena and sizes: zero copies. Arguments arrive as plain numbers; the
// TypeScript loader (native-kernels.ts) has checked every offset and extent against the arena,
// so the kernels trust them.
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "ops.h"

namespace {

using dptrain::Ops;

// One kernel set: owned by its exports object (freed by its finalizer).
struct KernelSetState {
  uint8_t* base = nullptr;
  size_t length = 0;
  const Ops* ops = nullptr;
  int lastCorrect = 0;
};

constexpr size_t MAX_ARGS = 32;

bool cpuHasAvx512() { return __builtin_cpu_supports("avx512f"); }
bool cpuHasAvx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

// The arguments of one call as doubles, and the calling function's kernel set; throws on misuse.
struct Call {
  napi_env env;
  KernelSetState* state = nullptr;
  double args[MAX_ARGS] = {};
  size_t argc = MAX_ARGS;
  napi_value argv[MAX_ARGS];
  bool ok = false;

  Call(napi_env e, napi_callback_info info, size_t expected, bool needKernels = true) : env(e) {
    void* data = nullptr;
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) != napi_ok) {
      fail("bad call");
      return;
    }
    if (argc != expected) {
      fail(("expected " + std::to_string(expected) + " arguments, got " + std::to_string(argc)).c_str());
      return;
    }
    state = static_cast<KernelSetState*>(data);
    if (needKernels && (state == nullptr || state->base == nullptr || state->ops == nullptr)) {
      fail("a kernel called without its kernel set (use kernelSet(isa, arena))");
      return;
    }
    for (size_t i = 0; i < argc; i++) {
      napi_valuetype t;
      napi_typeof(env, argv[i], &t);
      if (t == napi_number) {
        napi_get_value_double(env, argv[i], &args[i]);
      } else if (needKernels) {
        fail(("argument " + std::to_string(i) + " is not a number").c_str());
        return;
      }
    }
    ok = true;
  }
  void fail(const char* what) { napi_throw_error(env, nullptr, (std::string("dptrain native: ") + what).c_str()); }
  template <class P>
  P* ptr(size_t i) const { return reinterpret_cast<P*>(state->base + static_cast<int64_t>(args[i])); }
  // Offset 0 means "none" (the arena never places a region at 0).
  template <class P>
  P* ptrOrNull(size_t i) const { return args[i] == 0 ? nullptr : ptr<P>(i); }
  int i32(size_t i) const { return static_cast<int>(args[i]); }
  float f32(size_t i) const { return static_cast<float>(args[i]); }
};

napi_value number(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}

napi_value string(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

// cpuIsas(): the instruction sets this CPU runs, best first
napi_value CpuIsas(napi_env env, napi_callback_info) {
  napi_value list;
  napi_create_array(env, &list);
  uint32_t n = 0;
  if (cpuHasAvx512()) napi_set_element(env, list, n++, string(env, "avx512"));
  if (cpuHasAvx2()) napi_set_element(env, list, n++, string(env, "avx2"));
  return list;
}

// The instruction set named by argv[i], or null (with an exception pending) where this CPU cannot run it.
const Ops* opsNamed(Call& c, size_t i) {
  char name[32] = {};
  size_t len = 0;
  if (napi_get_value_string_utf8(c.env, c.argv[i], name, sizeof name, &len) != napi_ok) return c.fail("expected an instruction set name"), nullptr;
  if (std::strcmp(name, "avx512") == 0 && cpuHasAvx512()) return dptrain::avx512Ops();
  if (std::strcmp(name, "avx2") == 0 && cpuHasAvx2()) return dptrain::avx2Ops();
  return c.fail((std::string("this CPU cannot run instruction set \"") + name + "\"").c_str()), nullptr;
}

napi_value GatherRows(napi_env env, napi_callback_info info) {
  Call c(env, info, 10);
  if (!c.ok) return nullptr;
  c.state->ops->gatherRows(c.ptr<float>(0), c.ptr<uint8_t>(1), c.ptr<const uint8_t>(2), c.ptr<const uint8_t>(3), c.ptr<const uint32_t>(4), c.i32(5), c.i32(6), c.i32(7), c.f32(8), c.f32(9));
  return nullptr;
}

napi_value DenseForward(napi_env env, napi_callback_info info) {
  Call c(env, info, 9);
  if (!c.ok) return nullptr;
  c.state->ops->denseForward(c.ptr<float>(0), c.ptr<const float>(1), c.ptr<const float>(2), c.ptr<const float>(3), c.i32(4), c.i32(5), c.i32(6), c.args[7] != 0, c.i32(8));
  return nullptr;
}

napi_value DenseInputGrad(napi_env env, napi_callback_info info) {
  Call c(env, info, 8);
  if (!c.ok) return nullptr;
  c.state->ops->denseInputGrad(c.ptr<float>(0), c.ptr<const float>(1), c.ptr<const float>(2), c.ptrOrNull<const float>(3), c.i32(4), c.i32(5), c.i32(6), c.i32(7));
  return nullptr;
}

napi_value ReluForward(napi_env env, napi_callback_info info) {
  Call c(env, info, 3);
  if (!c.ok) return nullptr;
  c.state->ops->reluForward(c.ptr<float>(0), c.ptr<const float>(1), static_cast<int64_t>(c.args[2]));
  return nullptr;
}

napi_value ReluBackward(napi_env env, napi_callback_info info) {
  Call c(env, info, 4);
  if (!c.ok) return nullptr;
  c.state->ops->reluBackward(c.ptr<float>(0), c.ptr<const float>(1), c.ptr<const float>(2), static_cast<int64_t>(c.args[3]));
  return nullptr;
}

napi_value SoftmaxCrossEntropy(napi_env env, napi_callback_info info) {
  Call c(env, info, 7);
  if (!c.ok) return nullptr;
  const double loss = c.state->ops->softmaxCrossEntropy(c.ptr<float>(0), c.ptr<float>(1), c.ptr<const float>(2), c.ptr<const uint8_t>(3), c.i32(4), c.i32(5), c.args[6], &c.state->lastCorrect);
  return number(env, loss);
}

napi_value LastCorrect(napi_env env, napi_callback_info info) {
  Call c(env, info, 0);
  if (!c.ok) return nullptr;
  return number(env, c.state->lastCorrect);
}

// Arguments 0–7 of the weight-gradient calls: (weight, bias, weightVelocity, biasVelocity,
// weightOut, biasOut, weightVelocityOut, biasVelocityOut).
dptrain::DenseParams denseParams(const Call& c) {
  return {c.ptr<const float>(0), c.ptr<const float>(1), c.ptr<const float>(2), c.ptr<const float>(3),
          c.ptr<float>(4),       c.ptr<float>(5),       c.ptr<float>(6),       c.ptr<float>(7)};
}
// Arguments from … from + 4: (gradScale, lr, momentum, nesterov, weightDecay).
dptrain::SgdHyper sgdHyper(const Call& c, int from) {
  return {c.f32(from), c.f32(from + 1), c.f32(from + 2), c.f32(from + 4), c.args[from + 3] != 0};
}

// (weight, bias, weightVelocity, biasVelocity, weightOut, biasOut, weightVelocityOut, biasVelocityOut,
//  rowSq, dout, inp, B, C, OC, o0, o1, gradScale, lr, momentum, nesterov, weightDecay)
napi_value DenseWeightGradSgd(napi_env env, napi_callback_info info) {
  Call c(env, info, 21);
  if (!c.ok) return nullptr;
  c.state->ops->denseWeightGradSgd(denseParams(c), c.ptr<double>(8), c.ptr<const float>(9), c.ptr<const float>(10), c.i32(11), c.i32(12), c.i32(13), c.i32(14), c.i32(15), sgdHyper(c, 16));
  return nullptr;
}

// Arguments 0–1 of the plain weight-gradient calls, (weightGrad, biasGrad), as the parameter
// buffers the fused kernels take: only the velocity outputs are written (SgdHyper::gradOnly).
dptrain::DenseParams gradParams(const Call& c) {
  float* w = c.ptr<float>(0);
  float* b = c.ptr<float>(1);
  return {w, b, w, b, w, b, w, b};
}
dptrain::SgdHyper gradOnlyHyper(const Call& c, int at) {
  return {c.f32(at), 0.0f, 0.0f, 0.0f, false, true};
}

// (weightGrad, biasGrad, rowSq, dout, inp, B, C, OC, o0, o1, gradScale)
napi_value DenseWeightGrad(napi_env env, napi_callback_info info) {
  Call c(env, info, 11);
  if (!c.ok) return nullptr;
  c.state->ops->denseWeightGradSgd(gradParams(c), c.ptr<double>(2), c.ptr<const float>(3), c.ptr<const float>(4), c.i32(5), c.i32(6), c.i32(7), c.i32(8), c.i32(9), gradOnlyHyper(c, 10));
  return nullptr;
}

// (col, inp, B, C, H, W, KH, KW, stride, pad, OH, OW) and col2im (dinp, dcol, …)
dptrain::ConvGeometry convGeometry(const Call& c, int from) {
  return {c.i32(from), c.i32(from + 1), c.i32(from + 2), c.i32(from + 3), c.i32(from + 4), c.i32(from + 5), c.i32(from + 6), c.i32(from + 7), c.i32(from + 8)};
}
// (…, C, H, W, K, stride, OH, OW)
dptrain::PoolGeometry poolGeometry(const Call& c, int from) {
  return {c.i32(from), c.i32(from + 1), c.i32(from + 2), c.i32(from + 3), c.i32(from + 4), c.i32(from + 5), c.i32(from + 6)};
}

napi_value Im2col(napi_env env, napi_callback_info info) {
  Call c(env, info, 12);
  if (!c.ok) return nullptr;
  c.state->ops->im2col(c.ptr<float>(0), c.ptr<const float>(1), c.i32(2), convGeometry(c, 3));
  return nullptr;
}

napi_value Col2im(napi_env env, napi_callback_info info) {
  Call c(env, info, 12);
  if (!c.ok) return nullptr;
  c.state->ops->col2im(c.ptr<float>(0), c.ptr<const float>(1), c.i32(2), convGeometry(c, 3));
  return nullptr;
}

// (out, inp, weight, bias, B, C, H, W, KH, KW, stride, pad, OH, OW, OC, relu)
napi_value ConvForward(napi_env env, napi_callback_info info) {
  Call c(env, info, 16);
  if (!c.ok) return nullptr;
  c.state->ops->convForward(c.ptr<float>(0), c.ptr<const float>(1), c.ptr<const float>(2), c.ptr<const float>(3), c.i32(4), convGeometry(c, 5), c.i32(14), c.args[15] != 0);
  return nullptr;
}

// (the 8 parameter buffers as DenseWeightGradSgd, rowSq, dout, inp, B, C, H, W, KH, KW, stride, pad,
//  OH, OW, OC, o0, o1, gradScale, lr, momentum, nesterov, weightDecay)
napi_value ConvWeightGradSgd(napi_env env, napi_callback_info info) {
  Call c(env, info, 29);
  if (!c.ok) return nullptr;
  c.state->ops->convWeightGradSgd(denseParams(c), c.ptr<double>(8), c.ptr<const float>(9), c.ptr<const float>(10), c.i32(11), convGeometry(c, 12), c.i32(21), c.i32(22), c.i32(23), sgdHyper(c, 24));
  return nullptr;
}

// (weightGrad, biasGrad, rowSq, dout, inp, B, C, H, W, KH, KW, stride, pad, OH, OW, OC, o0, o1, gradScale)
napi_value ConvWeightGrad(napi_env env, napi_callback_info info) {
  Call c(env, info, 19);
  if (!c.ok) return nullptr;
  c.state->ops->convWeightGradSgd(gradParams(c), c.ptr<double>(2), c.ptr<const float>(3), c.ptr<const float>(4), c.i32(5), convGeometry(c, 6), c.i32(15), c.i32(16), c.i32(17), gradOnlyHyper(c, 18));
  return nullptr;
}

// (dinp, dout, weight, B, C, H, W, KH, KW, stride, pad, OH, OW, OC)
napi_value ConvInputGrad(napi_env env, napi_callback_info info) {
  Call c(env, info, 14);
  if (!c.ok) return nullptr;
  c.state->ops->convInputGrad(c.ptr<float>(0), c.ptr<const float>(1), c.ptr<const float>(2), c.i32(3), convGeometry(c, 4), c.i32(13));
  return nullptr;
}

napi_value MaxpoolForward(napi_env env, napi_callback_info info) {
  Call c(env, info, 10);
  if (!c.ok) return nullptr;
  c.state->ops->maxpoolForward(c.ptr<float>(0), c.ptr<const float>(1), c.i32(2), poolGeometry(c, 3));
  return nullptr;
}

napi_value MaxpoolBackward(napi_env env, napi_callback_info info) {
  Call c(env, info, 11);
  if (!c.ok) return nullptr;
  c.state->ops->maxpoolBackward(c.ptr<float>(0), c.ptr<const float>(1), c.ptr<const float>(2), c.i32(3), poolGeometry(c, 4));
  return nullptr;
}

napi_value TransposeRows(napi_env env, napi_callback_info info) {
  Call c(env, info, 5);
  if (!c.ok) return nullptr;
  c.state->ops->transposeRows(c.ptr<float>(0), c.ptr<const float>(1), c.i32(2), c.i32(3), c.i32(4));
  return nullptr;
}

// (out, inp, B, C, threshold, scale, seed, step, row0, stream)
napi_value DropoutApply(napi_env env, napi_callback_info info) {
  Call c(env, info, 10);
  if (!c.ok) return nullptr;
  auto u32 = [&](int i) { return static_cast<uint32_t>(c.args[i]); };
  c.state->ops->dropoutApply(c.ptr<float>(0), c.ptr<const float>(1), c.i32(2), c.i32(3), u32(4), c.f32(5), u32(6), u32(7), u32(8), u32(9));
  return nullptr;
}

// (out, inp, B, C, H, W, channelsLast, shift, flip, rotate, fill, seed, step, row0)
napi_value AugmentRows(napi_env env, napi_callback_info info) {
  Call c(env, info, 14);
  if (!c.ok) return nullptr;
  auto u32 = [&](int i) { return static_cast<uint32_t>(c.args[i]); };
  c.state->ops->augmentRows(c.ptr<float>(0), c.ptr<const float>(1), c.i32(2), c.i32(3), c.i32(4), c.i32(5), c.i32(6) != 0, c.i32(7), c.i32(8) != 0, c.args[9], c.f32(10), u32(11), u32(12), u32(13));
  return nullptr;
}

// (kind, thetaOut, theta, grad, s0, s1, s2, s0Out, s1Out, s2Out, n, p0 … p7); slot pointer 0 = none
napi_value OptimizerStep(napi_env env, napi_callback_info info) {
  Call c(env, info, 19);
  if (!c.ok) return nullptr;
  dptrain::OptimStep h{};
  h.kind = c.i32(0);
  for (int i = 0; i < 8; i++) h.p[i] = c.f32(11 + i);
  c.state->ops->optimizerStep(c.ptr<float>(1), c.ptr<const float>(2), c.ptr<const float>(3), c.ptrOrNull<const float>(4), c.ptrOrNull<const float>(5), c.ptrOrNull<const float>(6),
                              c.ptrOrNull<float>(7), c.ptrOrNull<float>(8), c.ptrOrNull<float>(9), static_cast<int64_t>(c.args[10]), h);
  return nullptr;
}

// fmaPeakGflops(isa, iterations): this core's FMA peak in that instruction set
napi_value FmaPeakGflops(napi_env env, napi_callback_info info) {
  Call c(env, info, 2, false);
  if (!c.ok) return nullptr;
  const Ops* ops = opsNamed(c, 0);
  if (ops == nullptr) return nullptr;
  return number(env, ops->fmaPeakGflops(static_cast<int64_t>(c.args[1])));
}

// kernelSet(isa, arena: Uint8Array over the whole shared memory): the kernels, running isa on arena
napi_value KernelSet(napi_env env, napi_callback_info info) {
  Call c(env, info, 2, false);
  if (!c.ok) return nullptr;
  const Ops* ops = opsNamed(c, 0);
  if (ops == nullptr) return nullptr;
  bool isTyped = false;
  napi_is_typedarray(env, c.argv[1], &isTyped);
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset;
  if (!isTyped || napi_get_typedarray_info(env, c.argv[1], &type, &length, &data, &buffer, &offset) != napi_ok || type != napi_uint8_array || data == nullptr) {
    return c.fail("kernelSet: expected a Uint8Array over the arena"), nullptr;
  }
  auto* state = new KernelSetState{static_cast<uint8_t*>(data), length, ops, 0};
  napi_value set;
  napi_create_object(env, &set);
  const napi_property_descriptor props[] = {
      {"gatherRows", nullptr, GatherRows, nullptr, nullptr, nullptr, napi_default, state},
      {"denseForward", nullptr, DenseForward, nullptr, nullptr, nullptr, napi_default, state},
      {"denseInputGrad", nullptr, DenseInputGrad, nullptr, nullptr, nullptr, napi_default, state},
      {"reluForward", nullptr, ReluForward, nullptr, nullptr, nullptr, napi_default, state},
      {"reluBackward", nullptr, ReluBackward, nullptr, nullptr, nullptr, napi_default, state},
      {"softmaxCrossEntropy", nullptr, SoftmaxCrossEntropy, nullptr, nullptr, nullptr, napi_default, state},
      {"lastCorrect", nullptr, LastCorrect, nullptr, nullptr, nullptr, napi_default, state},
      {"denseWeightGradSgd", nullptr, DenseWeightGradSgd, nullptr, nullptr, nullptr, napi_default, state},
      {"denseWeightGrad", nullptr, DenseWeightGrad, nullptr, nullptr, nullptr, napi_default, state},
      {"im2col", nullptr, Im2col, nullptr, nullptr, nullptr, napi_default, state},
      {"col2im", nullptr, Col2im, nullptr, nullptr, nullptr, napi_default, state},
      {"convForward", nullptr, ConvForward, nullptr, nullptr, nullptr, napi_default, state},
      {"convWeightGradSgd", nullptr, ConvWeightGradSgd, nullptr, nullptr, nullptr, napi_default, state},
      {"convWeightGrad", nullptr, ConvWeightGrad, nullptr, nullptr, nullptr, napi_default, state},
      {"convInputGrad", nullptr, ConvInputGrad, nullptr, nullptr, nullptr, napi_default, state},
      {"maxpoolForward", nullptr, MaxpoolForward, nullptr, nullptr, nullptr, napi_default, state},
      {"maxpoolBackward", nullptr, MaxpoolBackward, nullptr, nullptr, nullptr, napi_default, state},
      {"transposeRows", nullptr, TransposeRows, nullptr, nullptr, nullptr, napi_default, state},
      {"dropoutApply", nullptr, DropoutApply, nullptr, nullptr, nullptr, napi_default, state},
      {"augmentRows", nullptr, AugmentRows, nullptr, nullptr, nullptr, napi_default, state},
      {"optimizerStep", nullptr, OptimizerStep, nullptr, nullptr, nullptr, napi_default, state},
  };
  napi_define_properties(env, set, sizeof props / sizeof props[0], props);
  napi_add_finalizer(env, set, state, [](napi_env, void* d, void*) { delete static_cast<KernelSetState*>(d); }, nullptr, nullptr);
  napi_value isaName = string(env, ops->isa);
  napi_set_named_property(env, set, "isa", isaName);
  return set;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"cpuIsas", nullptr, CpuIsas, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"kernelSet", nullptr, KernelSet, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"fmaPeakGflops", nullptr, FmaPeakGflops, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
