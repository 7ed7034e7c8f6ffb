"""The MNIST MLP training step as a TensorFlow SavedModel, for bench/jit-designs.ts.

    python jit_savedmodel.py WORKDIR

Reads WORKDIR/init.json (names and shapes of w1, b1, w2, b2) with WORKDIR/init.bin (their
float32 values, concatenated, little-endian) and WORKDIR/batches.json + batches.bin (the first
batches: x float32 [n, 128, 784] then y int32 [n, 128]). Writes:
- WORKDIR/savedmodel: a SavedModel whose serving signature is one Adam step of the 784-128-10
  MLP (torch.nn.Linear layout: weight [out, in]; mean softmax cross-entropy; Adam lr 1e-3,
  b1 0.9, b2 0.999, eps 1e-8 added to the bias-corrected root, as torch.optim.Adam and
  Optim.adam). Inputs: the parameters, Adam's m_* and v_* of each, `step` (int32, updates done
  so far), `x`, `y`; outputs: the same names updated (step + 1) and `loss` (before the update).
- WORKDIR/python.json: {"tensorflow": version, "losses": the losses of those first batches when
  this same step runs in Python from the initial weights} (a reference for the Node runs).
Prints nothing on success.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8
PARAMS = ["w1", "b1", "w2", "b2"]


def main(workdir):
    with open(os.path.join(workdir, "init.json")) as f:
        init = json.load(f)
    shapes = dict(zip(init["names"], init["shapes"]))
    flat = np.fromfile(os.path.join(workdir, "init.bin"), dtype="<f4")
    values, at = {}, 0
    for name in init["names"]:
        size = int(np.prod(shapes[name]))
        values[name] = flat[at:at + size].reshape(shapes[name])
        at += size
    batch = 128

    spec = {p: tf.TensorSpec(shapes[p], tf.float32, name=p) for p in PARAMS}
    for p in PARAMS:
        spec["m_" + p] = tf.TensorSpec(shapes[p], tf.float32, name="m_" + p)
        spec["v_" + p] = tf.TensorSpec(shapes[p], tf.float32, name="v_" + p)
    spec["step"] = tf.TensorSpec([], tf.int32, name="step")
    spec["x"] = tf.TensorSpec([batch, 784], tf.float32, name="x")
    spec["y"] = tf.TensorSpec([batch], tf.int32, name="y")
    names = list(spec)

    @tf.function(input_signature=[spec[n] for n in names])
    def train_step(*args):
        a = dict(zip(names, args))
        params = [a[p] for p in PARAMS]
        with tf.GradientTape() as tape:
            tape.watch(params)
            w1, b1, w2, b2 = params
            h = tf.nn.relu(tf.matmul(a["x"], w1, transpose_b=True) + b1)
            logits = tf.matmul(h, w2, transpose_b=True) + b2
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=a["y"], logits=logits))
        grads = tape.gradient(loss, params)
        t = tf.cast(a["step"] + 1, tf.float32)
        out = {"step": a["step"] + 1, "loss": loss}
        for p, w, g in zip(PARAMS, params, grads):
            m = B1 * a["m_" + p] + (1 - B1) * g
            v = B2 * a["v_" + p] + (1 - B2) * tf.square(g)
            out[p] = w - LR * (m / (1 - B1 ** t)) / (tf.sqrt(v / (1 - B2 ** t)) + EPS)
            out["m_" + p] = m
            out["v_" + p] = v
        return out

    module = tf.Module()
    module.train_step = train_step
    tf.saved_model.save(module, os.path.join(workdir, "savedmodel"), signatures={"serving_default": train_step.get_concrete_function()})

    # the reference trajectory, in Python, from the same initial weights and batches
    with open(os.path.join(workdir, "batches.json")) as f:
        n = json.load(f)["count"]
    raw = open(os.path.join(workdir, "batches.bin"), "rb").read()
    xs = np.frombuffer(raw, dtype="<f4", count=n * batch * 784).reshape(n, batch, 784)
    ys = np.frombuffer(raw, dtype="<i4", offset=n * batch * 784 * 4, count=n * batch).reshape(n, batch)
    state = {p: tf.constant(values[p]) for p in PARAMS}
    for p in PARAMS:
        state["m_" + p] = tf.zeros(shapes[p])
        state["v_" + p] = tf.zeros(shapes[p])
    state["step"] = tf.constant(0, tf.int32)
    losses = []
    for i in range(n):
        out = train_step(*[state[k] if k in state else tf.constant(xs[i] if k == "x" else ys[i]) for k in names])
        losses.append(float(out.pop("loss")))
        state = out
    with open(os.path.join(workdir, "python.json"), "w") as f:
        json.dump({"tensorflow": tf.__version__, "losses": losses}, f)


if __name__ == "__main__":
    main(sys.argv[1])
