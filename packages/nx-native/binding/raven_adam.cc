// A fused Adam moment update as a TensorFlow op, `RavenAdamUpdate`, registered with TensorFlow's
// C API (ops.h, kernels.h) for the CPU:
//
//   binding.raven.registerFusedOps(): string[]
//     registers the op and its CPU kernel once (later calls only return the names); returns the
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
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "tensorflow/c/kernels.h"
#include "tensorflow/c/ops.h"
#include "tensorflow/c/tf_status.h"
#include "tensorflow/c/tf_tensor.h"

namespace {

constexpr const char *kAdamOp = "RavenAdamUpdate";

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

void AdamShape(TF_ShapeInferenceContext *ctx, TF_Status *status) {
  TF_ShapeHandle *shape = TF_NewShapeHandle();
  // inputs: N gradient blocks, mu, nu, eps_hat, step_scale: the outputs are shaped like mu
  const int mu = static_cast<int>(TF_ShapeInferenceContextNumInputs(ctx)) - 4;
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

// Elements [begin, end) of the update; `g` holds the gradient from element `g_first` on. Each step
// rounds to float32 as the separate kernels do: C++17 without -ffp-contract=fast does not fuse
// a * b + c into one rounding.
void AdamRange(const AdamAttrs &a, float eps_hat, float step_scale, const float *g, int64_t g_first, const float *m, const float *v,
               float *m_out, float *v_out, float *u_out, int64_t begin, int64_t end) {
  int64_t i = begin;
#if defined(__SSE2__)
  const __m128 b1 = _mm_set1_ps(a.b1), c1 = _mm_set1_ps(a.one_minus_b1), b2 = _mm_set1_ps(a.b2), c2 = _mm_set1_ps(a.one_minus_b2);
  const __m128 eps = _mm_set1_ps(eps_hat), scale = _mm_set1_ps(step_scale);
  for (; i + 4 <= end; i += 4) {
    const __m128 gi = _mm_loadu_ps(g + (i - g_first));
    const __m128 mi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m + i), b1), _mm_mul_ps(gi, c1));
    const __m128 vi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + i), b2), _mm_mul_ps(_mm_mul_ps(gi, gi), c2));
    _mm_storeu_ps(m_out + i, mi);
    _mm_storeu_ps(v_out + i, vi);
    _mm_storeu_ps(u_out + i, _mm_mul_ps(_mm_div_ps(mi, _mm_add_ps(_mm_sqrt_ps(vi), eps)), scale));
  }
#endif
  for (; i < end; i++) {
    const float gi = g[i - g_first];
    const float mi = m[i] * a.b1 + gi * a.one_minus_b1;
    const float vi = v[i] * a.b2 + (gi * gi) * a.one_minus_b2;
    m_out[i] = mi;
    v_out[i] = vi;
    u_out[i] = (mi / (std::sqrt(vi) + eps_hat)) * step_scale;
  }
}

void Fail(TF_OpKernelContext *ctx, TF_Code code, const std::string &message) {
  Status status;
  TF_SetStatus(status.s, code, message.c_str());
  TF_OpKernelContext_Failure(ctx, status.s);
}

void AdamCompute(void *kernel, TF_OpKernelContext *ctx) {
  const AdamAttrs &a = *static_cast<AdamAttrs *>(kernel);
  Status status;
  const int blocks = TF_NumInputs(ctx) - 4;  // the gradient's blocks, then mu, nu, eps_hat, step_scale
  std::vector<Tensor> in(blocks + 4);
  for (int i = 0; i < blocks + 4; i++) {
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
  if (!same_shape(nu, 0)) return Fail(ctx, TF_INVALID_ARGUMENT, std::string(kAdamOp) + ": mu and nu must have the same shape");
  if (blocks == 1 && !same_shape(in[0].t, 0)) return Fail(ctx, TF_INVALID_ARGUMENT, std::string(kAdamOp) + ": grad, mu and nu must have the same shape");
  if (blocks > 1) {
    int64_t rows = 0;
    for (int b = 0; b < blocks; b++) {
      if (rank == 0 || !same_shape(in[b].t, 1)) {
        return Fail(ctx, TF_INVALID_ARGUMENT, std::string(kAdamOp) + ": the gradient's blocks must be row blocks of a tensor shaped like mu");
      }
      rows += TF_Dim(in[b].t, 0);
    }
    if (rows != dims[0]) return Fail(ctx, TF_INVALID_ARGUMENT, std::string(kAdamOp) + ": the gradient's blocks must have as many rows in all as mu");
  }
  if (TF_TensorElementCount(eps) != 1 || TF_TensorElementCount(scale) != 1) {
    return Fail(ctx, TF_INVALID_ARGUMENT, std::string(kAdamOp) + ": eps_hat and step_scale must be scalars");
  }
  const int64_t n = TF_TensorElementCount(mu);
  Tensor out[3];
  for (int i = 0; i < 3; i++) {
    out[i].t = TF_AllocateOutput(ctx, i, TF_FLOAT, dims.data(), rank, static_cast<size_t>(n) * sizeof(float), status.s);
    if (!status.ok()) return TF_OpKernelContext_Failure(ctx, status.s);
  }
  if (n == 0) return;
  const float eps_hat = *static_cast<const float *>(TF_TensorData(eps));
  const float step_scale = *static_cast<const float *>(TF_TensorData(scale));
  const auto *m = static_cast<const float *>(TF_TensorData(mu));
  const auto *v = static_cast<const float *>(TF_TensorData(nu));
  auto *m_out = static_cast<float *>(TF_TensorData(out[0].t));
  auto *v_out = static_cast<float *>(TF_TensorData(out[1].t));
  auto *u_out = static_cast<float *>(TF_TensorData(out[2].t));
  // elements [begin, end) of the flat gradient, walking the blocks that hold them
  auto range = [&](int64_t begin, int64_t end) {
    int64_t start = 0;  // the current block's first element
    for (int b = 0; b < blocks && start < end; b++) {
      const int64_t size = TF_TensorElementCount(in[b].t);
      const int64_t lo = std::max(begin, start), hi = std::min(end, start + size);
      if (lo < hi) {
        const auto *g = static_cast<const float *>(TF_TensorData(in[b].t));
        AdamRange(a, eps_hat, step_scale, g, start, m, v, m_out, v_out, u_out, lo, hi);
      }
      start += size;
    }
  };
  // one thread up to 1M elements (a pass over them takes well under a millisecond); larger
  // tensors (a language model's embeddings) in blocks of at least 1M on up to 8 threads
  constexpr int64_t kBlock = int64_t{1} << 20;
  const int64_t threads = std::min<int64_t>({n / kBlock, 8, std::max(1u, std::thread::hardware_concurrency())});
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

// Registers the op and its kernel; an empty string on success, else TensorFlow's message.
std::string RegisterAdam() {
  Status status;
  TF_OpDefinitionBuilder *op = TF_NewOpDefinitionBuilder(kAdamOp);
  for (const char *input : {"grad: N * float", "mu: float", "nu: float", "eps_hat: float", "step_scale: float"}) TF_OpDefinitionBuilderAddInput(op, input);
  for (const char *output : {"new_mu: float", "new_nu: float", "update: float"}) TF_OpDefinitionBuilderAddOutput(op, output);
  for (const char *attr : {"N: int >= 1", "b1: float", "one_minus_b1: float", "b2: float", "one_minus_b2: float"}) TF_OpDefinitionBuilderAddAttr(op, attr);
  TF_OpDefinitionBuilderSetShapeInferenceFunction(op, AdamShape);
  TF_RegisterOpDefinition(op, status.s);  // takes the builder
  if (!status.ok()) return TF_Message(status.s);
  TF_KernelBuilder *kernel = TF_NewKernelBuilder(kAdamOp, "CPU", AdamCreate, AdamCompute, AdamDelete);
  TF_RegisterKernelBuilder(kAdamOp, kernel, status.s);  // takes the builder
  return status.ok() ? std::string() : TF_Message(status.s);
}

}  // namespace

#ifdef RAVEN_ADAM_OP_LIBRARY
// an op library: TensorFlow records what registers while it loads the file
static const bool raven_adam_registered = RegisterAdam().empty();
#else
#include "raven_hook.h"

namespace {

napi_value RegisterFusedOps(napi_env env, napi_callback_info /*info*/) {
  // TensorFlow's registries are process-wide: register once, remember the outcome
  static const std::string error = RegisterAdam();
  if (!error.empty()) {
    napi_throw_error(env, nullptr, ("registerFusedOps: registering " + std::string(kAdamOp) + " failed: " + error).c_str());
    return nullptr;
  }
  napi_value names, name;
  if (napi_create_array_with_length(env, 1, &names) != napi_ok || napi_create_string_utf8(env, kAdamOp, NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_set_element(env, names, 0, name) != napi_ok) {
    return nullptr;
  }
  return names;
}

}  // namespace

RAVEN_EXPORT("registerFusedOps", RegisterFusedOps);
#endif
