// nx.jit's asynchronous call: a registered function runs on a libuv worker thread while
// JavaScript goes on (Train.fit builds the next batch meanwhile), as tf.data's prefetching and
// JAX's asynchronous dispatch overlap the host's work with the device's.
//
//   binding.raven.jitRunAsync(name: string, inputIds: number[], numOutputs: number)
//     : Promise<Array<{id, shape, dtype}>>
//
// On the calling (main) thread: the inputs' eager handles are looked up and added to a new op
// (TFE_OpAddInput takes a reference to each handle, so the inputs stay alive even if JavaScript
// disposes their tensors before the call ends). On the worker: TFE_Execute, nothing else, so
// tfjs-node's handle map is only ever touched on the main thread. Back on the main thread: the
// outputs are registered with the binding (`raven::Adopt`, as `executeOp` does) and the promise
// resolves with them, or rejects with TensorFlow's message.
#include <string>
#include <vector>

#include "raven_hook.h"
#include "raven_signals.h"
#include "tensorflow/c/c_api.h"
#include "tensorflow/c/eager/c_api.h"

namespace {

// One call in flight; owns its op and status (freed with it).
struct Call {
  TFE_Op *op = nullptr;
  TF_Status *status = TF_NewStatus();
  std::vector<TFE_TensorHandle *> outputs;
  int num_outputs = 0;
  napi_deferred deferred = nullptr;
  napi_async_work work = nullptr;
  std::string name;

  ~Call() {
    if (op != nullptr) TFE_DeleteOp(op);
    TF_DeleteStatus(status);
  }
};

void Execute(napi_env, void *data) {
  auto *call = static_cast<Call *>(data);
  call->num_outputs = static_cast<int>(call->outputs.size());
  raven::AsyncSignalsBlocked blocked;  // see raven_signals.h
  TFE_Execute(call->op, call->outputs.data(), &call->num_outputs, call->status);
}

void Reject(napi_env env, napi_deferred deferred, const std::string &message) {
  napi_value msg = nullptr, error = nullptr;
  napi_create_string_utf8(env, message.c_str(), NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, nullptr, msg, &error);
  napi_reject_deferred(env, deferred, error);
}

void Complete(napi_env env, napi_status work_status, void *data) {
  auto *call = static_cast<Call *>(data);
  if (work_status != napi_ok) {
    Reject(env, call->deferred, "jitRunAsync: the call of " + call->name + " was cancelled");
  } else if (TF_GetCode(call->status) != TF_OK) {
    Reject(env, call->deferred, std::string(TF_Message(call->status)));
  } else {
    napi_value result = nullptr;
    napi_create_array_with_length(env, call->num_outputs, &result);
    bool ok = true;
    for (int i = 0; i < call->num_outputs; i++) {
      napi_value info = ok ? raven::Adopt(env, call->outputs[i]) : nullptr;
      if (info == nullptr) {
        // not adopted: free it here (after a failure, the rest too)
        if (ok) {
          napi_value pending = nullptr;
          napi_get_and_clear_last_exception(env, &pending);
        }
        ok = false;
        TFE_DeleteTensorHandle(call->outputs[i]);
        continue;
      }
      napi_set_element(env, result, i, info);
    }
    if (ok) {
      napi_resolve_deferred(env, call->deferred, result);
    } else {
      Reject(env, call->deferred, "jitRunAsync: the outputs of " + call->name + " could not be registered with the binding");
    }
  }
  napi_delete_async_work(env, call->work);
  delete call;
}

napi_value RunAsync(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  std::string name;
  uint32_t n_inputs = 0;
  int32_t n_outputs = 0;
  size_t len = 0;
  bool ok = napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) == napi_ok && argc >= 3 &&
            napi_get_value_string_utf8(env, args[0], nullptr, 0, &len) == napi_ok &&
            napi_get_array_length(env, args[1], &n_inputs) == napi_ok &&
            napi_get_value_int32(env, args[2], &n_outputs) == napi_ok && n_outputs >= 0;
  if (ok) {
    name.assign(len, '\0');
    napi_get_value_string_utf8(env, args[0], &name[0], len + 1, &len);
  }
  if (!ok) {
    napi_throw_error(env, nullptr, "jitRunAsync: expected (name: string, inputIds: number[], numOutputs: number)");
    return nullptr;
  }
  TFE_Context *ctx = raven::Context(env);
  if (ctx == nullptr) return nullptr;

  auto *call = new Call();
  call->name = name;
  call->op = TFE_NewOp(ctx, name.c_str(), call->status);
  if (!raven::CheckStatus(env, call->status, "jitRunAsync")) {
    delete call;
    return nullptr;
  }
  for (uint32_t i = 0; i < n_inputs; i++) {
    napi_value element = nullptr;
    int32_t id = 0;
    TFE_TensorHandle *handle = nullptr;
    if (napi_get_element(env, args[1], i, &element) != napi_ok || napi_get_value_int32(env, element, &id) != napi_ok) {
      napi_throw_error(env, nullptr, "jitRunAsync: inputIds must be tensor ids");
    } else {
      handle = raven::Handle(env, id);  // throws when there is no such tensor
    }
    if (handle != nullptr) TFE_OpAddInput(call->op, handle, call->status);
    if (handle == nullptr || !raven::CheckStatus(env, call->status, "jitRunAsync")) {
      delete call;
      return nullptr;
    }
  }
  call->outputs.assign(static_cast<size_t>(n_outputs), nullptr);

  napi_value promise = nullptr, resource_name = nullptr;
  napi_create_promise(env, &call->deferred, &promise);
  napi_create_string_utf8(env, "raven.jitRunAsync", NAPI_AUTO_LENGTH, &resource_name);
  if (napi_create_async_work(env, nullptr, resource_name, Execute, Complete, call, &call->work) != napi_ok ||
      napi_queue_async_work(env, call->work) != napi_ok) {
    Reject(env, call->deferred, "jitRunAsync: could not queue the call of " + name);
    if (call->work != nullptr) napi_delete_async_work(env, call->work);
    delete call;
  }
  return promise;
}

}  // namespace

RAVEN_EXPORT("jitRunAsync", RunAsync);
