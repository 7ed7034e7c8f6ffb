#!/usr/bin/env bash
# GPU check of the native backend. Run from the repository root on a Linux x86_64 machine with an
# NVIDIA GPU and its driver (CUDA 12 capable: driver >= 525), Node 20+, a C++ compiler, Node's
# headers and Python 3.10-3.13:
#
#   scripts/gpu-check.sh
#
# It (1) makes a virtualenv with tensorflow[and-cuda]==2.21.0 in .gpu-work/ (or uses
# $RAVEN_GPU_PYTHON, a Python that already has it), (2) runs `npm ci` and `npm run build`,
# (3) builds @tensorflow/tfjs-node-gpu against that TensorFlow with raven-nx-native, (4) prints
# nx.backendInfo(), (5) runs the nx test suite on the GPU, (6) runs the MNIST and BERT-base
# benchmarks on the GPU (and PyTorch's, when the virtualenv has torch), and (7) prints one
# summary line starting with "gpu-check:". Logs are kept in .gpu-work/.
set -uo pipefail
cd "$(dirname "$0")/.."
work=${RAVEN_GPU_WORK:-$PWD/.gpu-work}
mkdir -p "$work"
fail() { echo "gpu-check: FAILED: $*"; exit 1; }

# --- the GPU -------------------------------------------------------------------------------------
command -v nvidia-smi >/dev/null || fail "nvidia-smi not found: no NVIDIA driver on this machine"
gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)
[ -n "$gpu" ] || fail "nvidia-smi lists no GPU"
echo "gpu-check: GPU $gpu"

# --- TensorFlow with CUDA 12 from pip ------------------------------------------------------------
py=${RAVEN_GPU_PYTHON:-}
if [ -z "$py" ]; then
  py="$work/venv/bin/python"
  if ! "$py" -c 'import tensorflow' 2>/dev/null; then
    python3 -m venv "$work/venv" || fail "python3 -m venv failed"
    "$py" -m pip install --upgrade pip >"$work/pip.log" 2>&1
    "$py" -m pip install 'tensorflow[and-cuda]==2.21.0' >>"$work/pip.log" 2>&1 ||
      fail "pip install 'tensorflow[and-cuda]==2.21.0' failed (see $work/pip.log)"
    # PyTorch for the comparison in the BERT bench: optional
    "$py" -m pip install torch transformers >>"$work/pip.log" 2>&1 || echo "gpu-check: no torch/transformers (the BERT bench runs without PyTorch)"
  fi
fi
tf_lib=$("$py" -c 'import importlib.util as u; print(list(u.find_spec("tensorflow").submodule_search_locations)[0])') ||
  fail "$py has no tensorflow"
# The CUDA libraries of the nvidia-* pip packages (cuDNN, cuBLAS, cuFFT, ...) sit in
# site-packages/nvidia/*/lib, next to tensorflow/. TensorFlow's libraries find them through
# $ORIGIN-relative run paths, which work because raven-nx-native links the binding to the libraries
# where pip put them; the library path is set as well, so that nothing depends on that alone.
cuda_dirs=$(ls -d "$(dirname "$tf_lib")"/nvidia/*/lib 2>/dev/null | tr '\n' ':')
[ -n "$cuda_dirs" ] || echo "gpu-check: warning: no nvidia-* pip packages next to $tf_lib (TensorFlow will look for CUDA on the system)"
export LD_LIBRARY_PATH="${cuda_dirs}${LD_LIBRARY_PATH:-}"
# TensorFlow takes nearly all GPU memory in the first process that starts it; the test runner
# starts several processes at once, so each takes only what it uses.
export TF_FORCE_GPU_ALLOW_GROWTH=true
tf_gpus=$("$py" -c 'import tensorflow as tf; print(len(tf.config.list_physical_devices("GPU")))' 2>"$work/tf-python.log" | tail -1)
echo "gpu-check: TensorFlow in Python sees ${tf_gpus:-0} GPU(s) ($tf_lib)"
[ "${tf_gpus:-0}" -ge 1 ] || fail "TensorFlow in Python sees no GPU: the driver or CUDA libraries are missing (see $work/tf-python.log)"

# --- build ---------------------------------------------------------------------------------------
npm ci >"$work/npm-ci.log" 2>&1 || fail "npm ci failed (see $work/npm-ci.log)"
npm run build >"$work/build.log" 2>&1 || fail "npm run build failed (see $work/build.log)"
export RAVEN_CACHE_ROOT="$work/cache" RAVEN_PYTHON="$py"
node packages/nx-native/bin/raven-nx-native.js install --gpu --python "$py" 2>&1 | tee "$work/install.log"
[ "${PIPESTATUS[0]}" = 0 ] || fail "raven-nx-native install --gpu failed (see $work/install.log)"

# --- what runs -----------------------------------------------------------------------------------
info=$(NX_BACKEND=tensorflow node --input-type=module -e "const nx = await import('@raven/nx'); console.log(JSON.stringify(nx.backendInfo()))" 2>"$work/info.log" | tail -1)
echo "gpu-check: backendInfo() = $info"
device=$(node -e "try { console.log(JSON.parse(process.argv[1]).device) } catch { console.log('none') }" "$info")
[ "$device" = "cuda" ] || fail "nx runs on '$device', not cuda (see $work/info.log)"

# --- the nx suite on the GPU ---------------------------------------------------------------------
NX_TEST_BACKEND=tensorflow npx vitest run --project nx-tensorflow >"$work/nx-tests.log" 2>&1
tests_status=$?
tests=$(sed 's/\x1b\[[0-9;]*m//g' "$work/nx-tests.log" | grep -E '^\s*Tests\s' | tail -1 | sed 's/^ *Tests *//')
echo "gpu-check: nx suite on the GPU: ${tests:-no totals} (exit $tests_status; $work/nx-tests.log)"

# --- benchmarks ----------------------------------------------------------------------------------
NX_BACKEND=tensorflow npx tsx --conditions=source packages/kaun/bench/run.ts >"$work/mnist.json" 2>"$work/mnist.log"
# the JSON object a bench printed last (anything logged before it is skipped)
json_of='const t = require("fs").readFileSync(process.argv[1], "utf8"); const i = t.lastIndexOf("\n{"); const j = JSON.parse(i >= 0 ? t.slice(i + 1) : t);'
mnist=$(node -e "$json_of const m = j.jit && j.jit.mlp; const e = (x) => (x && x.epochSeconds ? x.epochSeconds[x.epochSeconds.length - 1] + ' s' : '-');
console.log(j.mlp.fitEpoch.seconds + ' s' + (m ? ' (second epoch: eager ' + e(m.eager) + ', nx.jit ' + e(m.jit) + ')' : ''))" "$work/mnist.json" 2>/dev/null || echo "failed (see $work/mnist.log)")
echo "gpu-check: MNIST MLP epoch (Train.fit, batch 128): $mnist"
BENCH_BACKENDS=tensorflow npx tsx --conditions=source packages/kaun-hf/bench/run.ts >"$work/bert.json" 2>"$work/bert.log"
bert=$(node -e "$json_of
const r = j.results;
const s = (e) => { const x = r.find((y) => y.engine.startsWith(e)); if (!x || !x.forward) return e + ': -';
  const t = (x.train || []).find((y) => y.optimizer === 'adamw' && y.stepMs);
  return e + ' forward ' + (x.forward.latencyMs.mean / 1000).toFixed(2) + ' s, AdamW step ' + (t ? (t.stepMs.mean / 1000).toFixed(2) + ' s' : '-'); };
const jit = r.find((y) => y.engine === 'nx tensorflow, jit'); const jt = jit && (jit.train || [])[0];
console.log([s('nx tensorflow'), 'nx.jit AdamW step ' + (jt && jt.stepMs ? (jt.stepMs.mean / 1000).toFixed(2) + ' s' : '-'), s('pytorch')].join('; '));" "$work/bert.json" 2>/dev/null || echo "failed (see $work/bert.log)")
echo "gpu-check: BERT-base 8x128: $bert"

tf_version=$(node -e "try { console.log(JSON.parse(process.argv[1]).tensorflow.tensorflowVersion) } catch { console.log('?') }" "$info")
echo "gpu-check: $([ "$tests_status" = 0 ] && echo PASS || echo FAIL) | GPU $gpu | TF $tf_version on $device | nx suite: ${tests:-?} | MNIST epoch $mnist | BERT-base $bert"
[ "$tests_status" = 0 ]
