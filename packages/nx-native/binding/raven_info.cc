// What TensorFlow this process really runs: the library file the C API was loaded from and
// the devices the eager context sees. @raven/nx's backendInfo() reports both.
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

#include <string>

#include "raven_hook.h"

namespace {

// binding.raven.libraryPath(): the resolved path of the shared library that provides
// TF_Version (the TensorFlow C API actually loaded), or null when the loader cannot say.
napi_value LibraryPath(napi_env env, napi_callback_info info) {
  Dl_info dl;
  napi_value result;
  if (dladdr(reinterpret_cast<void *>(&TF_Version), &dl) == 0 || dl.dli_fname == nullptr) {
    napi_get_null(env, &result);
    return result;
  }
  char resolved[PATH_MAX];
  const char *path = realpath(dl.dli_fname, resolved) != nullptr ? resolved : dl.dli_fname;
  napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &result);
  return result;
}

// binding.raven.devices(): [{name, type}] for every device of the eager context, e.g.
// {name: '/job:localhost/replica:0/task:0/device:GPU:0', type: 'GPU'}.
napi_value Devices(napi_env env, napi_callback_info info) {
  TFE_Context *context = raven::Context(env);
  if (context == nullptr) return nullptr;
  TF_Status *status = TF_NewStatus();
  TF_DeviceList *list = TFE_ContextListDevices(context, status);
  if (!raven::CheckStatus(env, status, "raven: listing devices")) {
    TF_DeleteStatus(status);
    return nullptr;
  }
  napi_value result;
  napi_create_array(env, &result);
  const int count = TF_DeviceListCount(list);
  for (int i = 0; i < count; i++) {
    const char *name = TF_DeviceListName(list, i, status);
    const char *type = TF_DeviceListType(list, i, status);
    if (TF_GetCode(status) != TF_OK) break;
    napi_value entry, js_name, js_type;
    napi_create_object(env, &entry);
    napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &js_name);
    napi_create_string_utf8(env, type, NAPI_AUTO_LENGTH, &js_type);
    napi_set_named_property(env, entry, "name", js_name);
    napi_set_named_property(env, entry, "type", js_type);
    napi_set_element(env, result, static_cast<uint32_t>(i), entry);
  }
  const bool ok = raven::CheckStatus(env, status, "raven: reading the device list");
  TF_DeleteDeviceList(list);
  TF_DeleteStatus(status);
  return ok ? result : nullptr;
}

// binding.raven.executionDevice(): the device tfjs-node runs ops on.
napi_value ExecutionDevice(napi_env env, napi_callback_info info) {
  std::string name = raven::DeviceName(env);
  napi_value result;
  napi_create_string_utf8(env, name.c_str(), name.size(), &result);
  return result;
}

}  // namespace

RAVEN_EXPORT("libraryPath", LibraryPath);
RAVEN_EXPORT("devices", Devices);
RAVEN_EXPORT("executionDevice", ExecutionDevice);
