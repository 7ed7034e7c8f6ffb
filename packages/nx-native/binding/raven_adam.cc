// A fused Adam moment update as TensorFlow ops, `RavenAdamUpdate` and `RavenAdamApply`, registered
// with TensorFlow's C API (ops.h, kernels.h) for the CPU:
//
//   binding.raven.registerFusedOps(): string[]
//     registers the ops and their CPU kernels once (later calls only return the names); returns the
//     names of the ops now registered. Throws with TensorFlow's message if registration fails.
//
// Compiled with -DRAVEN_ADAM_OP_LIBRARY instead, the file is a TensorFlow op library on its own
// (registration at load, no Node-API): `tf.load_op_library` loads it into Python's TensorFlow,
// which is how `packages/kaun/bench/jit-profile.ts` profiles graphs that hold the op.
//
// `RavenAdamUpdate(grad, mu, nu, eps_hat, step_scale; N, b1, one_minus_b1, b2, one_minus_b2)`, all
// float32, `eps_hat` and `step_scale` scalars, returns `(new_mu, new_nu, update)`, where `grad` is
// N tensors: the gradient itself (N = 1, its shape that of `mu`), or the gradient's blocks of rows
// in order (N > 1: the blocks concatenated along axis 0 make the gradient; `nx.jit` feeds the row
// blocks of a split matrix product straight in, without concatenating them):
//
//   new_mu = mu * b1 + grad * one_minus_b1
//   new_nu = nu * b2 + (grad * grad) * one_minus_b2
//   update = (new_mu / (sqrt(new_nu) + eps_hat)) * step_scale
//
// element by element, each operation rounded to float32 in this order: the same values, bit for
// bit, as the eleven elementwise kernels `Optim.scaleByAdam` issues one by one (each reads and
// writes the whole tensor), in one pass over memory. nx runs it eagerly through tfjs-node's
// `executeOp`, and `nx.jit` records it into graphs like any op. Not registered for GPUs: there the
// separate kernels stay on the device.
//
// `RavenAdamApply(grad, mu, nu, eps_hat, step_scale, param, lr_scale; same attributes)`, with
// `param` shaped like `mu` and `lr_scale` a scalar, returns `(new_mu, new_nu, new_param)`, where
//
//   new_param = param + update * lr_scale
//
// (`update` as above; the product rounded to float32, then the sum): the same values, bit for
// bit, as `RavenAdamUpdate` followed by the `Mul` of a learning rate and the `Add` to the
// parameter, without writing `update` and reading it back twice. Nothing runs it eagerly (an
// optimizer chain is composable, so its steps are separate calls); `nx.jit` folds that `Mul` and
// `Add` of a traced graph into it (packages/nx/src/jit/fold-param-updates.ts).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "tensorflow/c/kernels.h"
#include "tensorflow/c/ops.h"
#include "tensorflow/c/tf_status.h"
#include "tensorflow/c/tf_tensor.h"

namespace {

constexpr const char *kAdamOp = "RavenAdamUpdate";
constexpr const char *kApplyOp = "RavenAdamApply";

struct AdamAttrs {
  float b1 = 0, one_minus_b1 = 0, b2 = 0, one_minus_b2 = 0;
};

// A TF_Status freed at scope exit.
struct Status {
  TF_Status *s = TF_NewStatus();
  ~Status() { TF_DeleteStatus(s); }
  bool ok() const { return TF_GetCode(s) == TF_OK; }
};

// A TF_Tensor* deleted at scope exit (TF_GetInput and TF_AllocateOutput hand out references).
struct Tensor {
  TF_Tensor *t = nullptr;
  ~Tensor() {
    if (t != nullptr) TF_DeleteTensor(t);
  }
};

// The inputs after the gradient's blocks: mu, nu, eps_hat, step_scale (and param, lr_scale).
template <bool kApply>
constexpr int kFixedInputs = kApply ? 6 : 4;

template <bool kApply>
void AdamShape(TF_ShapeInferenceContext *ctx, TF_Status *status) {
  TF_ShapeHandle *shape = TF_NewShapeHandle();
  // the outputs are shaped like mu
  const int mu = static_cast<int>(TF_ShapeInferenceContextNumInputs(ctx)) - kFixedInputs<kApply>;
  TF_ShapeInferenceContextGetInput(ctx, mu, shape, status);
  for (int i = 0; i < 3 && TF_GetCode(status) == TF_OK; i++) TF_ShapeInferenceContextSetOutput(ctx, i, shape, status);
  TF_DeleteShapeHandle(shape);
}

void *AdamCreate(TF_OpKernelConstruction *ctx) {
  auto *a = new AdamAttrs;
  Status status;
  const char *names[] = {"b1", "one_minus_b1", "b2", "one_minus_b2"};
  float *fields[] = {&a->b1, &a->one_minus_b1, &a->b2, &a->one_minus_b2};
  for (int i = 0; i < 4 && status.ok(); i++) TF_OpKernelConstruction_GetAttrFloat(ctx, names[i], fields[i], status.s);
  if (!status.ok()) TF_OpKernelConstruction_Failure(ctx, status.s);
  return a;
}

void AdamDelete(void *kernel) { delete static_cast<AdamAttrs *>(kernel); }

// The scalars and the pointers of one kernel call; `p` and `lr_scale` only for RavenAdamApply.
struct AdamArgs {
  float eps_hat = 0, step_scale = 0, lr_scale = 0;
  const float *m = nullptr, *v = nullptr, *p = nullptr;
  float *m_out = nullptr, *v_out = nullptr, *u_out = nullptr;  // u_out: the update, or the new parameter
};

// Elements [i, end) of the update (kApply: of the new parameter), one at a time; `g` holds the
// gradient from element `g_first` on. Each step rounds to float32 as the separate kernels do:
// C++17 without -ffp-contract=fast does not fuse a * b + c into one rounding.
template <bool kApply>
void AdamScalar(const AdamAttrs &a, const AdamArgs &x, const float *g, int64_t g_first, int64_t i, int64_t end) {
  const float *m = x.m, *v = x.v, *p = x.p;
  float *m_out = x.m_out, *v_out = x.v_out, *u_out = x.u_out;
  for (; i < end; i++) {
    const float gi = g[i - g_first];
    const float mi = m[i] * a.b1 + gi * a.one_minus_b1;
    const float vi = v[i] * a.b2 + (gi * gi) * a.one_minus_b2;
    m_out[i] = mi;
    v_out[i] = vi;
    const float ui = (mi / (std::sqrt(vi) + x.eps_hat)) * x.step_scale;
    if constexpr (kApply) {
      const float step = ui * x.lr_scale;  // rounded before the sum, as the Mul kernel's output
      u_out[i] = p[i] + step;
    } else {
      u_out[i] = ui;
    }
  }
}

#if defined(__x86_64__)
// The same operations, in the same order, on 4 (SSE2) or 8 (AVX2) elements at once: each vector
// operation is IEEE float32 arithmetic rounded per element, so the values are those of AdamScalar
// bit for bit (no fused multiply-add is used). Returns the first element not done.
template <bool kApply>
int64_t AdamSse2(const AdamAttrs &a, const AdamArgs &x, const float *g, int64_t g_first, int64_t i, int64_t end) {
  const float *m = x.m, *v = x.v, *p = x.p;
  float *m_out = x.m_out, *v_out = x.v_out, *u_out = x.u_out;
  const __m128 b1 = _mm_set1_ps(a.b1), c1 = _mm_set1_ps(a.one_minus_b1), b2 = _mm_set1_ps(a.b2), c2 = _mm_set1_ps(a.one_minus_b2);
  const __m128 eps = _mm_set1_ps(x.eps_hat), scale = _mm_set1_ps(x.step_scale), lr = _mm_set1_ps(x.lr_scale);
  for (; i + 4 <= end; i += 4) {
    const __m128 gi = _mm_loadu_ps(g + (i - g_first));
    const __m128 mi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m + i), b1), _mm_mul_ps(gi, c1));
    const __m128 vi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + i), b2), _mm_mul_ps(_mm_mul_ps(gi, gi), c2));
    _mm_storeu_ps(m_out + i, mi);
    _mm_storeu_ps(v_out + i, vi);
    const __m128 ui = _mm_mul_ps(_mm_div_ps(mi, _mm_add_ps(_mm_sqrt_ps(vi), eps)), scale);
    if constexpr (kApply) {
      _mm_storeu_ps(u_out + i, _mm_add_ps(_mm_loadu_ps(p + i), _mm_mul_ps(ui, lr)));
    } else {
      _mm_storeu_ps(u_out + i, ui);
    }
  }
  return i;
}

template <bool kApply>
__attribute__((target("avx2"))) int64_t AdamAvx2(const AdamAttrs &a, const AdamArgs &x, const float *g, int64_t g_first, int64_t i, int64_t end) {
  const float *m = x.m, *v = x.v, *p = x.p;
  float *m_out = x.m_out, *v_out = x.v_out, *u_out = x.u_out;
  const __m256 b1 = _mm256_set1_ps(a.b1), c1 = _mm256_set1_ps(a.one_minus_b1), b2 = _mm256_set1_ps(a.b2), c2 = _mm256_set1_ps(a.one_minus_b2);
  const __m256 eps = _mm256_set1_ps(x.eps_hat), scale = _mm256_set1_ps(x.step_scale), lr = _mm256_set1_ps(x.lr_scale);
  for (; i + 8 <= end; i += 8) {
    const __m256 gi = _mm256_loadu_ps(g + (i - g_first));
    const __m256 mi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), b1), _mm256_mul_ps(gi, c1));
    const __m256 vi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), b2), _mm256_mul_ps(_mm256_mul_ps(gi, gi), c2));
    _mm256_storeu_ps(m_out + i, mi);
    _mm256_storeu_ps(v_out + i, vi);
    const __m256 ui = _mm256_mul_ps(_mm256_div_ps(mi, _mm256_add_ps(_mm256_sqrt_ps(vi), eps)), scale);
    if constexpr (kApply) {
      _mm256_storeu_ps(u_out + i, _mm256_add_ps(_mm256_loadu_ps(p + i), _mm256_mul_ps(ui, lr)));
    } else {
      _mm256_storeu_ps(u_out + i, ui);
    }
  }
  return i;
}

// AVX2 where the processor has it (asked once), else SSE2 (every x86-64 processor).
bool HasAvx2() {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
}
#endif

// Elements [begin, end) of the update (kApply: of the new parameter); `g` holds the gradient from
// element `g_first` on: vectors as wide as the processor allows, then the rest one by one.
template <bool kApply>
void AdamRange(const AdamAttrs &a, const AdamArgs &x, const float *g, int64_t g_first, int64_t begin, int64_t end) {
  int64_t i = begin;
#if defined(__x86_64__)
  i = HasAvx2() ? AdamAvx2<kApply>(a, x, g, g_first, i, end) : AdamSse2<kApply>(a, x, g, g_first, i, end);
#endif
  AdamScalar<kApply>(a, x, g, g_first, i, end);
}

void Fail(TF_OpKernelContext *ctx, TF_Code code, const std::string &message) {
  Status status;
  TF_SetStatus(status.s, code, message.c_str());
  TF_OpKernelContext_Failure(ctx, status.s);
}

template <bool kApply>
void AdamCompute(void *kernel, TF_OpKernelContext *ctx) {
  const AdamAttrs &a = *static_cast<AdamAttrs *>(kernel);
  const char *op = kApply ? kApplyOp : kAdamOp;
  Status status;
  // the gradient's blocks, then mu, nu, eps_hat, step_scale (and param, lr_scale)
  const int blocks = TF_NumInputs(ctx) - kFixedInputs<kApply>;
  std::vector<Tensor> in(blocks + kFixedInputs<kApply>);
  for (int i = 0; i < static_cast<int>(in.size()); i++) {
    TF_GetInput(ctx, i, &in[i].t, status.s);
    if (!status.ok()) return TF_OpKernelContext_Failure(ctx, status.s);
  }
  TF_Tensor *mu = in[blocks].t, *nu = in[blocks + 1].t, *eps = in[blocks + 2].t, *scale = in[blocks + 3].t;
  const int rank = TF_NumDims(mu);
  std::vector<int64_t> dims(rank);
  for (int d = 0; d < rank; d++) dims[d] = TF_Dim(mu, d);
  auto same_shape = [&](TF_Tensor *t, int from) {
    bool same = TF_NumDims(t) == rank;
    for (int d = from; same && d < rank; d++) same = TF_Dim(t, d) == dims[d];
    return same;
  };
  if (!same_shape(nu, 0)) return Fail(ctx, TF_INVALID_ARGUMENT, std::string(op) + ": mu and nu must have the same shape");
  if (blocks == 1 && !same_shape(in[0].t, 0)) return Fail(ctx, TF_INVALID_ARGUMENT, std::string(op) + ": grad, mu and nu must have the same shape");
  if (blocks > 1) {
    int64_t rows = 0;
    for (int b = 0; b < blocks; b++) {
      if (rank == 0 || !same_shape(in[b].t, 1)) {
        return Fail(ctx, TF_INVALID_ARGUMENT, std::string(op) + ": the gradient's blocks must be row blocks of a tensor shaped like mu");
      }
      rows += TF_Dim(in[b].t, 0);
    }
    if (rows != dims[0]) return Fail(ctx, TF_INVALID_ARGUMENT, std::string(op) + ": the gradient's blocks must have as many rows in all as mu");
  }
  if (TF_TensorElementCount(eps) != 1 || TF_TensorElementCount(scale) != 1) {
    return Fail(ctx, TF_INVALID_ARGUMENT, std::string(op) + ": eps_hat and step_scale must be scalars");
  }
  AdamArgs x;
  if constexpr (kApply) {
    TF_Tensor *param = in[blocks + 4].t, *lr = in[blocks + 5].t;
    if (!same_shape(param, 0)) return Fail(ctx, TF_INVALID_ARGUMENT, std::string(op) + ": param must have the shape of mu");
    if (TF_TensorElementCount(lr) != 1) return Fail(ctx, TF_INVALID_ARGUMENT, std::string(op) + ": lr_scale must be a scalar");
    x.p = static_cast<const float *>(TF_TensorData(param));
    x.lr_scale = *static_cast<const float *>(TF_TensorData(lr));
  }
  const int64_t n = TF_TensorElementCount(mu);
  Tensor out[3];
  for (int i = 0; i < 3; i++) {
    out[i].t = TF_AllocateOutput(ctx, i, TF_FLOAT, dims.data(), rank, static_cast<size_t>(n) * sizeof(float), status.s);
    if (!status.ok()) return TF_OpKernelContext_Failure(ctx, status.s);
  }
  if (n == 0) return;
  x.eps_hat = *static_cast<const float *>(TF_TensorData(eps));
  x.step_scale = *static_cast<const float *>(TF_TensorData(scale));
  x.m = static_cast<const float *>(TF_TensorData(mu));
  x.v = static_cast<const float *>(TF_TensorData(nu));
  x.m_out = static_cast<float *>(TF_TensorData(out[0].t));
  x.v_out = static_cast<float *>(TF_TensorData(out[1].t));
  x.u_out = static_cast<float *>(TF_TensorData(out[2].t));
  // elements [begin, end) of the flat gradient, walking the blocks that hold them
  auto range = [&](int64_t begin, int64_t end) {
    int64_t start = 0;  // the current block's first element
    for (int b = 0; b < blocks && start < end; b++) {
      const int64_t size = TF_TensorElementCount(in[b].t);
      const int64_t lo = std::max(begin, start), hi = std::min(end, start + size);
      if (lo < hi) {
        const auto *g = static_cast<const float *>(TF_TensorData(in[b].t));
        AdamRange<kApply>(a, x, g, start, lo, hi);
      }
      start += size;
    }
  };
  // one thread up to 1M elements (a pass over them takes well under a millisecond); larger
  // tensors (a language model's embeddings) in blocks of at least 1M on up to 8 threads
  // (glibc answers hardware_concurrency() by reading /sys/devices/system/cpu/online: tens of
  // microseconds on a virtual machine, so it is asked once, and only for such tensors)
  constexpr int64_t kBlock = int64_t{1} << 20;
  if (n < 2 * kBlock) return range(0, n);
  static const int64_t cores = std::max(1u, std::thread::hardware_concurrency());
  const int64_t threads = std::min<int64_t>({n / kBlock, 8, cores});
  if (threads <= 1) return range(0, n);
  std::vector<std::thread> pool;
  auto bound = [&](int64_t t) { return (n * t / threads) & ~int64_t{3}; };
  for (int64_t t = 1; t < threads; t++) {
    const int64_t begin = bound(t), end = t + 1 == threads ? n : bound(t + 1);
    pool.emplace_back([=, &range] { range(begin, end); });
  }
  range(0, bound(1));
  for (auto &t : pool) t.join();
}

// Registers one op and its kernel; an empty string on success, else TensorFlow's message.
template <bool kApply>
std::string RegisterOne() {
  const char *name = kApply ? kApplyOp : kAdamOp;
  Status status;
  TF_OpDefinitionBuilder *op = TF_NewOpDefinitionBuilder(name);
  for (const char *input : {"grad: N * float", "mu: float", "nu: float", "eps_hat: float", "step_scale: float"}) TF_OpDefinitionBuilderAddInput(op, input);
  if (kApply) for (const char *input : {"param: float", "lr_scale: float"}) TF_OpDefinitionBuilderAddInput(op, input);
  for (const char *output : {"new_mu: float", "new_nu: float", kApply ? "new_param: float" : "update: float"}) TF_OpDefinitionBuilderAddOutput(op, output);
  for (const char *attr : {"N: int >= 1", "b1: float", "one_minus_b1: float", "b2: float", "one_minus_b2: float"}) TF_OpDefinitionBuilderAddAttr(op, attr);
  TF_OpDefinitionBuilderSetShapeInferenceFunction(op, AdamShape<kApply>);
  TF_RegisterOpDefinition(op, status.s);  // takes the builder
  if (!status.ok()) return TF_Message(status.s);
  TF_KernelBuilder *kernel = TF_NewKernelBuilder(name, "CPU", AdamCreate, AdamCompute<kApply>, AdamDelete);
  TF_RegisterKernelBuilder(name, kernel, status.s);  // takes the builder
  return status.ok() ? std::string() : TF_Message(status.s);
}

// Registers both ops; an empty string on success, else the op and TensorFlow's message.
std::string RegisterAdam() {
  std::string error = RegisterOne<false>();
  if (!error.empty()) return std::string(kAdamOp) + ": " + error;
  error = RegisterOne<true>();
  return error.empty() ? error : std::string(kApplyOp) + ": " + error;
}

}  // namespace

#ifdef RAVEN_ADAM_OP_LIBRARY
// an op library: TensorFlow records what registers while it loads the file
static const bool raven_adam_registered = RegisterAdam().empty();  // both ops
#else
#include "raven_hook.h"

namespace {

napi_value RegisterFusedOps(napi_env env, napi_callback_info /*info*/) {
  // TensorFlow's registries are process-wide: register once, remember the outcome
  static const std::string error = RegisterAdam();
  if (!error.empty()) {
    napi_throw_error(env, nullptr, ("registerFusedOps: registering " + error).c_str());
    return nullptr;
  }
  napi_value names;
  if (napi_create_array_with_length(env, 2, &names) != napi_ok) return nullptr;
  const char *registered[] = {kAdamOp, kApplyOp};
  for (uint32_t i = 0; i < 2; i++) {
    napi_value name;
    if (napi_create_string_utf8(env, registered[i], NAPI_AUTO_LENGTH, &name) != napi_ok || napi_set_element(env, names, i, name) != napi_ok) return nullptr;
  }
  return names;
}

}  // namespace

RAVEN_EXPORT("registerFusedOps", RegisterFusedOps);
#endif
