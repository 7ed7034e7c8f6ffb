// Implementation of raven_hook.h: access to tfjs-node's backend object and the registry of
// functions exported on `binding.raven`.
#include "raven_hook.h"

#include <string>
#include <utility>
#include <vector>

#include "tfjs_backend.h"

namespace tfnodejs {

// Named a friend of TFJSBackend by the installer's edit of tfjs_backend.h.
struct RavenBackendAccess {
  static TFE_Context *Context(TFJSBackend *b) { return b->tfe_context_; }
  static const std::string &DeviceName(TFJSBackend *b) { return b->device_name; }
  static TFE_TensorHandle *Handle(TFJSBackend *b, int32_t id) {
    auto it = b->tfe_handle_map_.find(id);
    return it == b->tfe_handle_map_.end() ? nullptr : it->second;
  }
  static napi_value Adopt(TFJSBackend *b, napi_env env, TFE_TensorHandle *h) {
    return b->GenerateOutputTensorInfo(env, h);
  }
};

}  // namespace tfnodejs

namespace raven {
namespace {

using Access = tfnodejs::RavenBackendAccess;

std::vector<std::pair<std::string, napi_callback>> &Registry() {
  static std::vector<std::pair<std::string, napi_callback>> registry;
  return registry;
}

tfnodejs::TFJSBackend *Backend(napi_env env) {
  void *data = nullptr;
  if (napi_get_instance_data(env, &data) != napi_ok || data == nullptr) {
    napi_throw_error(env, nullptr, "raven: the tfjs-node binding is not initialised");
    return nullptr;
  }
  return static_cast<tfnodejs::TFJSBackend *>(data);
}

}  // namespace

TFE_Context *Context(napi_env env) {
  tfnodejs::TFJSBackend *b = Backend(env);
  return b == nullptr ? nullptr : Access::Context(b);
}

std::string DeviceName(napi_env env) {
  tfnodejs::TFJSBackend *b = Backend(env);
  return b == nullptr ? std::string() : Access::DeviceName(b);
}

TFE_TensorHandle *Handle(napi_env env, int32_t tensor_id) {
  tfnodejs::TFJSBackend *b = Backend(env);
  if (b == nullptr) return nullptr;
  TFE_TensorHandle *h = Access::Handle(b, tensor_id);
  if (h == nullptr) {
    std::string message = "raven: no tensor with id " + std::to_string(tensor_id) + " (disposed?)";
    napi_throw_error(env, nullptr, message.c_str());
  }
  return h;
}

napi_value Adopt(napi_env env, TFE_TensorHandle *handle) {
  tfnodejs::TFJSBackend *b = Backend(env);
  if (b == nullptr) return nullptr;
  return Access::Adopt(b, env, handle);
}

bool CheckStatus(napi_env env, TF_Status *status, const char *message) {
  if (TF_GetCode(status) == TF_OK) return true;
  std::string text = std::string(message) + ": " + TF_Message(status);
  napi_throw_error(env, nullptr, text.c_str());
  return false;
}

bool Register(const char *name, napi_callback fn) {
  Registry().emplace_back(name, fn);
  return true;
}

void DefineExtensions(napi_env env, napi_value exports) {
  napi_value raven;
  if (napi_create_object(env, &raven) != napi_ok) return;
  std::vector<napi_property_descriptor> props;
  napi_value version;
  if (napi_create_int32(env, kHookVersion, &version) != napi_ok) return;
  props.push_back({"hookVersion", nullptr, nullptr, nullptr, nullptr, version, napi_enumerable, nullptr});
  for (const auto &entry : Registry()) {
    props.push_back({entry.first.c_str(), nullptr, entry.second, nullptr, nullptr, nullptr, napi_enumerable, nullptr});
  }
  if (napi_define_properties(env, raven, props.size(), props.data()) != napi_ok) return;
  napi_property_descriptor prop = {"raven", nullptr, nullptr, nullptr, nullptr, raven, napi_enumerable, nullptr};
  napi_define_properties(env, exports, 1, &prop);
}

}  // namespace raven
