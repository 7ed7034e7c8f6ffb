"""Where a jitted training step's time goes, by TensorFlow's own step statistics (bench/jit-profile.ts).

Reads the FunctionDef that nx.jit registered for a step (written by jit-profile.ts), imports it
into a graph, feeds inputs of the recorded shapes and runs it in a TensorFlow session, then:
- the step time and, from RunMetadata (FULL_TRACE) over 50 runs, each op type's kernel time and
  the slowest nodes, once per thread setting (intra-op threads: TensorFlow's default, and 1);
- the graph's largest matrix products timed alone in TensorFlow (one tf.function of a serial
  chain of 10, so nothing overlaps and nothing is folded away; the chain's own cost per link,
  measured with 1x1 products, subtracted), and in PyTorch on 1 and 2 threads when torch imports;
  best of 3 each.
Prints one JSON object.

    python jit_profile.py FUNCTION_DEF_FILE [OP_LIBRARY]

OP_LIBRARY: a TensorFlow op library with the custom ops the graph uses (nx's fused Adam update),
loaded before the graph is imported.
"""
import collections
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.framework import function_pb2  # noqa: E402
from tensorflow.python.framework.function_def_to_graph import function_def_to_graph  # noqa: E402


def feeds_for(fdef, graph):
    rng = np.random.default_rng(0)
    feeds = {}
    for i, arg in enumerate(fdef.signature.input_arg):
        shape = [d.size for d in fdef.arg_attr[i].attr["_output_shapes"].list.shape[0].dim]
        dtype = tf.dtypes.as_dtype(arg.type)
        if dtype.is_integer:
            # labels and counts: small non-negative values keep one-hot and gathers in range
            value = rng.integers(0, 2, size=shape).astype(dtype.as_numpy_dtype)
        else:
            value = (rng.standard_normal(shape) * 0.01).astype(dtype.as_numpy_dtype)
        feeds[graph.inputs[i].name] = value
    return feeds


def profile(fdef, intra):
    graph = function_def_to_graph(fdef)
    feeds = feeds_for(fdef, graph)
    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=intra)
    with tf.compat.v1.Session(graph=graph, config=config) as s:
        outs = graph.outputs
        for _ in range(30):
            s.run(outs, feeds)
        n = 200
        t = time.perf_counter()
        for _ in range(n):
            s.run(outs, feeds)
        step_us = (time.perf_counter() - t) / n * 1e6
        options = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
        by_type, by_node = collections.Counter(), collections.Counter()
        runs = 50
        for _ in range(runs):
            meta = tf.compat.v1.RunMetadata()
            s.run(outs, feeds, options=options, run_metadata=meta)
            for dev in meta.step_stats.dev_stats:
                for ns in dev.node_stats:
                    op = ns.timeline_label.split(" = ")[-1].split("(")[0] or ns.node_name
                    us = ns.op_end_rel_micros - ns.op_start_rel_micros
                    by_type[op] += us
                    by_node[f"{ns.node_name} {op}"] += us
    total = sum(by_type.values()) / runs
    return {
        "intraOpThreads": intra or "default",
        "sessionStepMicros": round(step_us, 1),
        "kernelMicrosPerStep": round(total, 1),
        "byOpType": {k: round(v / runs, 1) for k, v in by_type.most_common(12)},
        "slowestNodes": {k: round(v / runs, 1) for k, v in by_node.most_common(8)},
    }


def matmul_shapes(fdef):
    """(M, K, N, transpose_a, transpose_b) of the graph's 2-D products, from the imported graph's shapes."""
    graph = function_def_to_graph(fdef)
    out = set()
    for op in graph.get_operations():
        if op.type not in ("BatchMatMulV2", "MatMul"):
            continue
        a, b = op.inputs[0].shape, op.inputs[1].shape
        if a.rank != 2 or b.rank != 2 or not a.is_fully_defined() or not b.is_fully_defined():
            continue
        ta = op.get_attr("adj_x") if op.type == "BatchMatMulV2" else op.get_attr("transpose_a")
        tb = op.get_attr("adj_y") if op.type == "BatchMatMulV2" else op.get_attr("transpose_b")
        m, k = (a[1], a[0]) if ta else (a[0], a[1])
        n = b[0] if tb else b[1]
        out.add((int(m), int(k), int(n), bool(ta), bool(tb)))
    return sorted(out, key=lambda s: -s[0] * s[1] * s[2])


def time_tf(m, k, n, ta, tb, chain=10, runs=40):
    rng = np.random.default_rng(1)
    a_shape, b_shape = ([k, m] if ta else [m, k]), ([n, k] if tb else [k, n])
    xs = [tf.constant(rng.random(a_shape, dtype=np.float32)) for _ in range(chain)]
    w = tf.constant(rng.random(b_shape, dtype=np.float32))

    @tf.function
    def f(xs):
        prev = tf.zeros([])
        for x in xs:  # a serial chain: each product waits for the one before
            # MatMul: the op nx issues for two matrices (nx/src/backend/tensorflow-kernels.ts)
            prev = tf.raw_ops.MatMul(a=x + prev * 0, b=w, transpose_a=ta, transpose_b=tb)[0, 0]
        return prev

    f(xs)
    t = time.perf_counter()
    for _ in range(runs):
        f(xs).numpy()
    return (time.perf_counter() - t) / runs / chain * 1e6


def time_torch(m, k, n, ta, tb, threads, runs=1000):
    import torch

    torch.set_num_threads(threads)
    a = torch.rand(k, m) if ta else torch.rand(m, k)
    b = torch.rand(n, k) if tb else torch.rand(k, n)
    op = lambda: (a.T if ta else a) @ (b.T if tb else b)  # noqa: E731
    for _ in range(100):
        op()
    t = time.perf_counter()
    for _ in range(runs):
        op()
    return (time.perf_counter() - t) / runs * 1e6


def main():
    if len(sys.argv) > 2:
        tf.load_op_library(sys.argv[2])
    fdef = function_pb2.FunctionDef()
    with open(sys.argv[1], "rb") as f:
        fdef.ParseFromString(f.read())
    out = {
        "tensorflow": tf.__version__,
        "ops": len(fdef.node_def),
        "opTypes": dict(collections.Counter(n.op for n in fdef.node_def).most_common()),
        "profiles": [profile(fdef, 0), profile(fdef, 1)],
    }
    try:
        import torch  # noqa: F401

        has_torch = True
    except ImportError:
        has_torch = False
    products = []
    # the chain's own cost per link (an add, a slice, a 1x1 product), subtracted from each figure
    overhead = min(time_tf(1, 1, 1, False, False) for _ in range(3))
    out["chainOverheadMicros"] = round(overhead, 1)
    for m, k, n, ta, tb in matmul_shapes(fdef)[:3]:
        raw = min(time_tf(m, k, n, ta, tb) for _ in range(3))
        row = {"shape": f"{m}x{k} @ {k}x{n}", "transposeA": ta, "transposeB": tb, "tensorflowMicros": round(max(0.0, raw - overhead), 1)}
        if has_torch:
            row["torchMicros2Threads"] = round(min(time_torch(m, k, n, ta, tb, 2) for _ in range(3)), 1)
            row["torchMicros1Thread"] = round(min(time_torch(m, k, n, ta, tb, 1) for _ in range(3)), 1)
        products.append(row)
    out["largestMatrixProducts"] = products
    print(json.dumps(out))


if __name__ == "__main__":
    main()
