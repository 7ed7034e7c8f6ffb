// nx.jit's native part: a GraphDef traced in JavaScript becomes a TensorFlow function of the
// eager context every tfjs-node op runs in. The function then runs as one op on tensor handles
// through tfjs-node's own `executeOp(name, [], inputIds, numOutputs)`: its inputs and outputs
// stay where they are (on the GPU with a CUDA build), nothing is copied through the host.
//
//   binding.raven.jitRegisterFunction(graphDef: Uint8Array, name: string,
//                                     inputs: string[], outputs: string[], xla: boolean)
//     imports the GraphDef into a new graph, makes a function of it with TF_GraphToFunction
//     (inputs and outputs are `node:index` of that graph; the input nodes are Placeholders) and
//     adds it to the context; with `xla` the function is marked `_XlaMustCompile`.
//   binding.raven.jitRemoveFunction(name: string)
//   binding.raven.jitGraphDefVersion(): number   the GraphDef producer version of this TensorFlow
//   binding.raven.jitFunctionDef(name: string): Uint8Array   the registered FunctionDef (tests)
//   binding.raven.jitDeviceOf(id: number): string   the device whose memory holds a tensor (tests:
//     on a GPU, the outputs of a jitted training step must stay there)
#include <cstring>
#include <string>
#include <vector>

#include "raven_hook.h"
#include "raven_signals.h"
#include "tensorflow/c/c_api.h"
#include "tensorflow/c/eager/c_api.h"
#include "tensorflow/c/eager/c_api_experimental.h"
#include "tensorflow/core/public/version.h"

namespace {

bool GetString(napi_env env, napi_value v, std::string *out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return false;
  out->assign(len, '\0');
  size_t copied = 0;
  return napi_get_value_string_utf8(env, v, &(*out)[0], len + 1, &copied) == napi_ok;
}

bool GetStrings(napi_env env, napi_value arr, std::vector<std::string> *out) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    std::string s;
    if (napi_get_element(env, arr, i, &e) != napi_ok || !GetString(env, e, &s)) return false;
    out->push_back(s);
  }
  return true;
}

napi_value Throw(napi_env env, const std::string &message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

// `node:index` (or `node`) of `graph` as a TF_Output.
bool Resolve(TF_Graph *graph, const std::string &ref, TF_Output *out, std::string *error) {
  const size_t colon = ref.rfind(':');
  const std::string name = colon == std::string::npos ? ref : ref.substr(0, colon);
  const int index = colon == std::string::npos ? 0 : std::atoi(ref.c_str() + colon + 1);
  TF_Operation *op = TF_GraphOperationByName(graph, name.c_str());
  if (op == nullptr) {
    *error = "the graph has no node named " + name;
    return false;
  }
  if (index < 0 || index >= TF_OperationNumOutputs(op)) {
    *error = "node " + name + " has no output " + std::to_string(index);
    return false;
  }
  *out = TF_Output{op, index};
  return true;
}

napi_value RegisterFunction(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 5) {
    return Throw(env, "jitRegisterFunction: expected (graphDef, name, inputs, outputs, xla)");
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *data = nullptr;
  if (napi_get_typedarray_info(env, args[0], &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) {
    return Throw(env, "jitRegisterFunction: graphDef must be a Uint8Array");
  }
  std::string name;
  std::vector<std::string> inputs, outputs;
  bool xla = false;
  if (!GetString(env, args[1], &name) || !GetStrings(env, args[2], &inputs) || !GetStrings(env, args[3], &outputs) ||
      napi_get_value_bool(env, args[4], &xla) != napi_ok) {
    return Throw(env, "jitRegisterFunction: expected (graphDef: Uint8Array, name: string, inputs: string[], outputs: string[], xla: boolean)");
  }
  TFE_Context *ctx = raven::Context(env);
  if (ctx == nullptr) return nullptr;

  // importing a graph may run kernels (shape inference folds constants on a graph runner thread)
  raven::AsyncSignalsBlocked blocked;  // see raven_signals.h
  std::string error;
  TF_Status *status = TF_NewStatus();
  TF_Graph *graph = TF_NewGraph();
  TF_Buffer *buffer = TF_NewBufferFromString(data, length);
  TF_ImportGraphDefOptions *options = TF_NewImportGraphDefOptions();
  TF_GraphImportGraphDef(graph, buffer, options, status);
  TF_DeleteImportGraphDefOptions(options);
  TF_DeleteBuffer(buffer);
  if (TF_GetCode(status) != TF_OK) error = std::string("importing the traced graph: ") + TF_Message(status);

  std::vector<TF_Output> ins(inputs.size()), outs(outputs.size());
  for (size_t i = 0; error.empty() && i < inputs.size(); i++) Resolve(graph, inputs[i], &ins[i], &error);
  for (size_t i = 0; error.empty() && i < outputs.size(); i++) Resolve(graph, outputs[i], &outs[i], &error);

  TF_Function *fn = nullptr;
  if (error.empty()) {
    fn = TF_GraphToFunction(graph, name.c_str(), /*append_hash_to_fn_name=*/0, /*num_opers=*/-1, nullptr,
                            static_cast<int>(ins.size()), ins.data(), static_cast<int>(outs.size()), outs.data(),
                            nullptr, nullptr, nullptr, status);
    if (TF_GetCode(status) != TF_OK) error = std::string("making a function of the traced graph: ") + TF_Message(status);
  }
  if (error.empty() && xla) {
    const unsigned char yes[] = {0x28, 0x01};  // AttrValue { b: true }
    TF_FunctionSetAttrValueProto(fn, "_XlaMustCompile", yes, sizeof(yes), status);
    if (TF_GetCode(status) != TF_OK) error = std::string("marking the function for XLA: ") + TF_Message(status);
  }
  if (error.empty()) {
    TFE_ContextAddFunction(ctx, fn, status);
    if (TF_GetCode(status) != TF_OK) error = std::string("adding the function to the context: ") + TF_Message(status);
  }
  if (fn != nullptr) TF_DeleteFunction(fn);
  TF_DeleteGraph(graph);
  TF_DeleteStatus(status);
  if (!error.empty()) return Throw(env, error);
  return nullptr;
}

// The one argument of a function that takes a function name, and the context; false (with a JS
// exception pending) when either is missing.
bool NameAndContext(napi_env env, napi_callback_info info, const char *what, std::string *name, TFE_Context **ctx) {
  size_t argc = 1;
  napi_value args[1];
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 1 || !GetString(env, args[0], name)) {
    Throw(env, std::string(what) + ": expected a function name");
    return false;
  }
  *ctx = raven::Context(env);
  return *ctx != nullptr;
}

napi_value RemoveFunction(napi_env env, napi_callback_info info) {
  std::string name;
  TFE_Context *ctx = nullptr;
  if (!NameAndContext(env, info, "jitRemoveFunction", &name, &ctx)) return nullptr;
  TF_Status *status = TF_NewStatus();
  TFE_ContextRemoveFunction(ctx, name.c_str(), status);
  raven::CheckStatus(env, status, "jitRemoveFunction");
  TF_DeleteStatus(status);
  return nullptr;
}

napi_value GraphDefVersion(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, TF_GRAPH_DEF_VERSION, &v);
  return v;
}

napi_value FunctionDef(napi_env env, napi_callback_info info) {
  std::string name;
  TFE_Context *ctx = nullptr;
  if (!NameAndContext(env, info, "jitFunctionDef", &name, &ctx)) return nullptr;
  TF_Status *status = TF_NewStatus();
  TF_Buffer *buf = TF_NewBuffer();
  TFE_ContextGetFunctionDef(ctx, name.c_str(), buf, status);
  napi_value result = nullptr;
  if (raven::CheckStatus(env, status, "jitFunctionDef")) {
    void *out = nullptr;
    napi_value ab;
    if (napi_create_arraybuffer(env, buf->length, &out, &ab) == napi_ok) {
      std::memcpy(out, buf->data, buf->length);
      napi_create_typedarray(env, napi_uint8_array, buf->length, ab, 0, &result);
    }
  }
  TF_DeleteBuffer(buf);
  TF_DeleteStatus(status);
  return result;
}

napi_value DeviceOf(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  int32_t id = 0;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 1 || napi_get_value_int32(env, args[0], &id) != napi_ok) {
    return Throw(env, "jitDeviceOf: expected a tensor id");
  }
  TFE_TensorHandle *handle = raven::Handle(env, id);
  if (handle == nullptr) return nullptr;
  TF_Status *status = TF_NewStatus();
  const char *device = TFE_TensorHandleBackingDeviceName(handle, status);
  napi_value result = nullptr;
  if (raven::CheckStatus(env, status, "jitDeviceOf")) napi_create_string_utf8(env, device, NAPI_AUTO_LENGTH, &result);
  TF_DeleteStatus(status);
  return result;
}

}  // namespace

RAVEN_EXPORT("jitRegisterFunction", RegisterFunction);
RAVEN_EXPORT("jitRemoveFunction", RemoveFunction);
RAVEN_EXPORT("jitGraphDefVersion", GraphDefVersion);
RAVEN_EXPORT("jitFunctionDef", FunctionDef);
RAVEN_EXPORT("jitDeviceOf", DeviceOf);
