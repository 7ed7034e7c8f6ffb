"""Reads checkpoint folders the way transformers does, for the crash tests.

For each folder (JSON list of paths on stdin): the single file model.safetensors when it exists,
else model.safetensors.index.json and the shards its weight_map names (transformers'
get_checkpoint_shard_files), each read with transformers' load_state_dict. Prints one JSON line:
{folder: {"keys": {key: [values...]}, "kind": "file" | "sharded"} or {"error": "..."}}.
"""
import json
import os
import sys

from transformers.modeling_utils import load_state_dict
from transformers.utils.hub import get_checkpoint_shard_files

out = {}
for folder in json.load(sys.stdin):
    try:
        single = os.path.join(folder, "model.safetensors")
        index = os.path.join(folder, "model.safetensors.index.json")
        if os.path.isfile(single):  # transformers' precedence: the single file first
            files, kind = [single], "file"
        else:
            files, meta = get_checkpoint_shard_files(folder, index)
            kind = "sharded"
        state = {}
        for f in files:
            state.update(load_state_dict(f))
        if kind == "sharded" and set(state) != set(meta["weight_map"]):
            raise ValueError(f"keys {sorted(state)} differ from the weight_map's {sorted(meta['weight_map'])}")
        out[folder] = {"kind": kind, "keys": {k: v.tolist() for k, v in state.items()}}
    except Exception as e:  # noqa: BLE001 - reported to the test
        out[folder] = {"error": f"{type(e).__name__}: {e}"}
print(json.dumps(out))
