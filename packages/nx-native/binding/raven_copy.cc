// A tensor made from a copy of a typed array's values:
//
//   binding.raven.tensorFromCopy(shape: number[], dtype: number, values: TypedArray)
//     -> {id, shape, dtype}
//
// `dtype` is a TF_DataType (the binding's TF_FLOAT, TF_INT32, TF_BOOL), `values` a typed array
// with as many elements as `shape` holds and elements of that type's width. The values are copied
// into a new TensorFlow tensor (TF_AllocateTensor, host memory), registered like an `executeOp`
// output. tfjs-node's own `createTensor` wraps the array's memory instead (TF_NewTensor with a
// reference to it), so a tensor made that way changes when the array does; @raven/nx uses this
// one for `nx.fromArray(data, {copy: true})`, where the caller refills the array (a data
// pipeline's batch buffer) right after.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "raven_hook.h"

namespace {

napi_value Throw(napi_env env, const std::string &message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

napi_value TensorFromCopy(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 3) {
    return Throw(env, "tensorFromCopy: expected (shape, dtype, values)");
  }
  bool is_array = false;
  uint32_t rank = 0;
  if (napi_is_array(env, args[0], &is_array) != napi_ok || !is_array || napi_get_array_length(env, args[0], &rank) != napi_ok) {
    return Throw(env, "tensorFromCopy: shape must be an array of sizes");
  }
  std::vector<int64_t> dims(rank);
  int64_t count = 1;
  for (uint32_t d = 0; d < rank; d++) {
    napi_value v;
    int64_t size = -1;
    if (napi_get_element(env, args[0], d, &v) != napi_ok || napi_get_value_int64(env, v, &size) != napi_ok || size < 0) {
      return Throw(env, "tensorFromCopy: shape must hold non-negative integers");
    }
    dims[d] = size;
    count *= size;
  }
  int32_t dtype_int = 0;
  if (napi_get_value_int32(env, args[1], &dtype_int) != napi_ok) return Throw(env, "tensorFromCopy: dtype must be a TF_DataType number");
  const auto dtype = static_cast<TF_DataType>(dtype_int);
  const size_t width = TF_DataTypeSize(dtype);
  if (dtype != TF_FLOAT && dtype != TF_INT32 && dtype != TF_BOOL) return Throw(env, "tensorFromCopy: dtype must be TF_FLOAT, TF_INT32 or TF_BOOL");
  bool is_typed = false;
  if (napi_is_typedarray(env, args[2], &is_typed) != napi_ok || !is_typed) return Throw(env, "tensorFromCopy: values must be a typed array");
  napi_typedarray_type type;
  size_t length = 0;
  void *data = nullptr;
  if (napi_get_typedarray_info(env, args[2], &type, &length, &data, nullptr, nullptr) != napi_ok) {
    return Throw(env, "tensorFromCopy: cannot read the typed array");
  }
  const bool type_ok = (dtype == TF_FLOAT && type == napi_float32_array) || (dtype == TF_INT32 && type == napi_int32_array) ||
                       (dtype == TF_BOOL && (type == napi_uint8_array || type == napi_uint8_clamped_array));
  if (!type_ok) return Throw(env, "tensorFromCopy: the typed array's element type does not match dtype");
  if (static_cast<int64_t>(length) != count) {
    return Throw(env, "tensorFromCopy: the shape holds " + std::to_string(count) + " elements but values has " + std::to_string(length));
  }
  const size_t bytes = static_cast<size_t>(count) * width;
  TF_Tensor *tensor = TF_AllocateTensor(dtype, dims.data(), static_cast<int>(rank), bytes);
  if (tensor == nullptr) return Throw(env, "tensorFromCopy: TensorFlow could not allocate " + std::to_string(bytes) + " bytes");
  if (bytes > 0) std::memcpy(TF_TensorData(tensor), data, bytes);
  TF_Status *status = TF_NewStatus();
  TFE_TensorHandle *handle = TFE_NewTensorHandle(tensor, status);
  TF_DeleteTensor(tensor);  // the handle holds its own reference
  napi_value result = nullptr;
  if (raven::CheckStatus(env, status, "tensorFromCopy")) result = raven::Adopt(env, handle);
  else if (handle != nullptr) TFE_DeleteTensorHandle(handle);
  TF_DeleteStatus(status);
  return result;
}

}  // namespace

RAVEN_EXPORT("tensorFromCopy", TensorFromCopy);
