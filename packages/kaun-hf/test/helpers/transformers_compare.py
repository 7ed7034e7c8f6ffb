"""Loads folders written by savePretrained with transformers and prints what the tests compare.

Usage: python transformers_compare.py REQUESTS.json
REQUESTS.json holds a list of requests (one Python start for all: importing torch is slow), each
{"dir": ..., "input_ids": [[...]], "attention_mask": [[...]], "generate": n?, "prompts": [...]?,
"messages": [...]?}. Prints one JSON line: the list of answers, each {"architecture": "...",
"logits": [...], "generated": [[...]]?, "ids": [[...]]?, "chat": "..."?}.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer



def answer(req):
    model = AutoModelForCausalLM.from_pretrained(req["dir"], dtype=torch.float32)
    model.eval()
    ids = torch.tensor(req["input_ids"], dtype=torch.long)
    mask = torch.tensor(req["attention_mask"], dtype=torch.long)
    out = {"architecture": type(model).__name__}
    with torch.no_grad():
        out["logits"] = model(input_ids=ids, attention_mask=mask).logits.tolist()
        if req.get("generate"):
            # greedy continuation of the first row (it has no padding)
            gen = model.generate(input_ids=ids[:1], attention_mask=mask[:1], do_sample=False, max_new_tokens=req["generate"], pad_token_id=req.get("pad_token_id"))
            out["generated"] = gen.tolist()
    if req.get("prompts") is not None:
        tok = AutoTokenizer.from_pretrained(req["dir"])
        out["ids"] = [tok(p)["input_ids"] for p in req["prompts"]]
        if req.get("messages") is not None:
            out["chat"] = tok.apply_chat_template(req["messages"], add_generation_prompt=True, tokenize=False)
    return out


print(json.dumps([answer(r) for r in json.load(open(sys.argv[1]))]))
