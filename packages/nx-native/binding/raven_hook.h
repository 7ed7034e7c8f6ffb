// The hook through which this repository adds C++ to tfjs-node's binding.
//
// `raven-nx-native install` compiles tfjs-node's own `binding/*.cc` together with every `*.cc` in
// this folder into one addon (`tfjs_binding.node`). Two small, checked edits to tfjs-node's
// sources make that possible: `TFJSBackend` names `tfnodejs::RavenBackendAccess` a friend, and
// the addon's init function calls `raven::DefineExtensions` last. Everything a file here
// registers with RAVEN_EXPORT appears in JavaScript on the binding's `raven` object:
//
//   // my_op.cc
//   #include "raven_hook.h"
//   static napi_value Hello(napi_env env, napi_callback_info info) { ... }
//   RAVEN_EXPORT("hello", Hello);
//
//   // TypeScript, on the tensorflow backend (see nativeBinding() in @raven/nx)
//   binding.raven.hello();
//
// Tensor ids are the ones tfjs-node's `executeOp` returns (TF.js's `dataId.id` on that
// backend): `raven::Handle` turns one into the eager handle, `raven::Adopt` registers a handle a
// function produced and returns `{id, shape, dtype}` as `executeOp` does.
#ifndef RAVEN_HOOK_H_
#define RAVEN_HOOK_H_

#include <node_api.h>

#include <cstdint>
#include <string>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/eager/c_api.h"

namespace tfnodejs {
class TFJSBackend;
}  // namespace tfnodejs

namespace raven {

// Version of this hook's C++ interface; JavaScript reads it as `binding.raven.hookVersion`.
constexpr int32_t kHookVersion = 1;

// The eager context every tfjs-node op runs in (functions added to it can be run by name
// through `executeOp`). nullptr, with a pending JS exception, if the addon is not initialised.
TFE_Context *Context(napi_env env);

// The device tfjs-node places ops on: the first GPU when TensorFlow sees one, else the CPU.
// Empty when the addon is not initialised.
std::string DeviceName(napi_env env);

// The eager handle of a tensor id from `executeOp`/`createTensor`; nullptr, with a pending JS
// exception naming the id, when there is no such tensor. The binding keeps ownership.
TFE_TensorHandle *Handle(napi_env env, int32_t tensor_id);

// Registers `handle` as a new tensor of the binding (which takes ownership and deletes it when
// TF.js disposes the tensor) and returns `{id, shape, dtype}`, the object `executeOp` returns
// per output. nullptr with a pending JS exception on failure.
napi_value Adopt(napi_env env, TFE_TensorHandle *handle);

// Throws a JS Error with `message` when `status` is not OK; returns whether it was OK.
bool CheckStatus(napi_env env, TF_Status *status, const char *message);

// Adds `fn` to the functions DefineExtensions puts on `binding.raven` under `name`. Use the
// RAVEN_EXPORT macro at file scope rather than calling this directly.
bool Register(const char *name, napi_callback fn);

// Called once, last, by the addon's init function: defines `exports.raven`.
void DefineExtensions(napi_env env, napi_value exports);

}  // namespace raven

#define RAVEN_EXPORT_CONCAT2(a, b) a##b
#define RAVEN_EXPORT_CONCAT(a, b) RAVEN_EXPORT_CONCAT2(a, b)
// Registers a `napi_value fn(napi_env, napi_callback_info)` as `binding.raven.<name>`.
#define RAVEN_EXPORT(name, fn)                                                        \
  static const bool RAVEN_EXPORT_CONCAT(raven_export_registered_, __LINE__) =         \
      ::raven::Register(name, fn)

#endif  // RAVEN_HOOK_H_
