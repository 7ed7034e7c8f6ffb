"""PyTorch's side of the BERT-base benchmark (bench/run.ts runs it when torch and transformers
import): the same model shape (transformers' BertConfig defaults = bert-base-uncased, random
weights), the same batch of 8 x 128 tokens, the same measurements as bench/bert.ts: forward
latency (eval mode, no grad, logits read) and AdamW training steps (train mode: dropout on;
forward, backward, update, loss read). Prints one JSON object.

    python3 packages/kaun-hf/bench/bert_torch.py
Environment: BENCH_FORWARD_ITERS (3), BENCH_TRAIN_ITERS (2), BENCH_TRAIN_BATCH (8),
BENCH_TORCH_THREADS (default: torch's own choice, the machine's cores), BENCH_TORCH_DEVICE
(default: cuda when torch sees a GPU, else cpu).
"""
import json
import os
import resource
import time

import torch
import transformers
from transformers import BertConfig, BertForSequenceClassification

SEQ = 128
FORWARD_BATCH = 8
TRAIN_BATCH = int(os.environ.get("BENCH_TRAIN_BATCH", "8"))
FORWARD_ITERS = int(os.environ.get("BENCH_FORWARD_ITERS", "3"))
TRAIN_ITERS = int(os.environ.get("BENCH_TRAIN_ITERS", "2"))
if os.environ.get("BENCH_TORCH_THREADS"):
    torch.set_num_threads(int(os.environ["BENCH_TORCH_THREADS"]))
DEVICE = torch.device(os.environ.get("BENCH_TORCH_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu"))


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(n, f):
    """Runs f once to warm up, then n times: wall and process-CPU seconds of each timed run."""
    f()
    wall, cpu = [], []
    for _ in range(n):
        w, c = time.perf_counter(), cpu_seconds()
        f()
        wall.append(time.perf_counter() - w)
        cpu.append(cpu_seconds() - c)
    return wall, cpu


def mean(xs):
    return sum(xs) / len(xs)


torch.manual_seed(0)
config = BertConfig(num_labels=2)
t = time.perf_counter()
model = BertForSequenceClassification(config).to(DEVICE)
init_seconds = time.perf_counter() - t
parameters = sum(p.numel() for p in model.parameters())
gen = torch.Generator().manual_seed(1)
ids = torch.randint(0, config.vocab_size, (FORWARD_BATCH, SEQ), generator=gen).to(DEVICE)
mask = torch.ones(FORWARD_BATCH, SEQ, dtype=torch.long, device=DEVICE)

model.eval()


def forward():
    with torch.no_grad():
        model(input_ids=ids, attention_mask=mask).logits.cpu().numpy()  # read back: waits for the device


fw, fc = timed(FORWARD_ITERS, forward)

model.train()
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
tids = torch.randint(0, config.vocab_size, (TRAIN_BATCH, SEQ), generator=gen).to(DEVICE)
tmask = torch.ones(TRAIN_BATCH, SEQ, dtype=torch.long, device=DEVICE)
labels = torch.randint(0, 2, (TRAIN_BATCH,), generator=gen).to(DEVICE)


def step():
    optimizer.zero_grad()
    loss = model(input_ids=tids, attention_mask=tmask, labels=labels).loss
    loss.backward()
    optimizer.step()
    loss.item()


tw, tc = timed(TRAIN_ITERS, step)
print(json.dumps({
    "engine": "pytorch",
    "torch": torch.__version__,
    "transformers": transformers.__version__,
    "device": str(DEVICE),
    "threads": torch.get_num_threads(),
    "model": {"hidden": config.hidden_size, "layers": config.num_hidden_layers, "heads": config.num_attention_heads,
              "intermediate": config.intermediate_size, "vocab": config.vocab_size, "parameters": parameters},
    "initSeconds": round(init_seconds, 1),
    "forward": {"batch": FORWARD_BATCH, "seqLen": SEQ, "iterations": FORWARD_ITERS,
                "latencyMs": {"mean": round(1000 * mean(fw)), "min": round(1000 * min(fw))},
                "cpuSecondsPerIteration": round(mean(fc), 2), "sequencesPerSecond": round(FORWARD_BATCH / mean(fw), 2)},
    "train": [{"optimizer": "adamw", "batch": TRAIN_BATCH, "seqLen": SEQ, "iterations": TRAIN_ITERS, "dropout": True,
               "stepMs": {"mean": round(1000 * mean(tw)), "min": round(1000 * min(tw))},
               "cpuSecondsPerStep": round(mean(tc), 2), "sequencesPerSecond": round(TRAIN_BATCH / mean(tw), 3)}],
}))
