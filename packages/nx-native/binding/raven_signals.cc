// Tells JavaScript that this binding blocks asynchronous signals around its TensorFlow calls (see
// raven_signals.h):
//
//   binding.raven.signalsGuarded(): true
//
// A binding built before the guard lacks the function; nx then keeps tfjs-node's own
// `BatchMatMulV2` for products (it never issues the `MatMul` whose kernel the signals corrupt)
// and says once that the binding should be rebuilt.
#include "raven_hook.h"
#include "raven_signals.h"

namespace {

napi_value SignalsGuarded(napi_env env, napi_callback_info /*info*/) {
  napi_value yes = nullptr;
  napi_get_boolean(env, true, &yes);
  return yes;
}

}  // namespace

RAVEN_EXPORT("signalsGuarded", SignalsGuarded);
