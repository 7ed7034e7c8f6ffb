"""transformers + PyTorch side of bench/generate.ts: a GPT-2-small-shaped GPT2LMHeadModel with random
weights, a prompt of N random tokens, M new tokens greedily with the KV cache (no early stop).
Prints one JSON line with the same figures as the TypeScript side.

Usage: python generate_torch.py PROMPT_TOKENS NEW_TOKENS
"""
import json
import sys
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.generation.streamers import BaseStreamer

prompt_len, new_tokens = int(sys.argv[1]), int(sys.argv[2])
torch.manual_seed(0)
config = GPT2Config(resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
t = time.perf_counter()
model = GPT2LMHeadModel(config).eval()
init = time.perf_counter() - t
ids = torch.randint(0, config.vocab_size, (1, prompt_len))


class Stamps(BaseStreamer):
    """Records when each step's tokens arrive (the first put() is the prompt)."""

    def __init__(self):
        self.times = []

    def put(self, value):
        self.times.append(time.perf_counter())

    def end(self):
        pass


with torch.no_grad():
    model.generate(ids[:, :8], max_new_tokens=2, min_new_tokens=2, do_sample=False, pad_token_id=0)  # warm-up
    stamps = Stamps()
    t = time.perf_counter()
    model.generate(ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False, use_cache=True, pad_token_id=0, streamer=stamps)
    total = time.perf_counter() - t
firsts = stamps.times[1:]  # new tokens only
print(json.dumps({
    "engine": "transformers+pytorch", "backend": f"torch {torch.__version__} ({torch.get_num_threads()} threads)",
    "params": sum(p.numel() for p in model.parameters()), "initSeconds": round(init, 3),
    "prefillSeconds": round(firsts[0] - t, 3),
    "decodeTokensPerSecond": round((len(firsts) - 1) / (firsts[-1] - firsts[0]), 3),
    "totalSeconds": round(total, 3),
}))
