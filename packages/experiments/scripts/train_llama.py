#!/usr/bin/env python3
"""Pre-trains the embedded default's Llama on a token stream, on CPU, with PyTorch.

Called by scripts/build-model.mjs, which writes the tokenizer, the token stream (uint16, little
endian: <s> document </s> ...) and the run's settings, and reads back model.safetensors (Hugging Face
Llama names, float32, tied embeddings) and training.json. Our runtime stays TypeScript; this script
only builds the artifact, because Debian's python3-torch with OpenBLAS trains ~7x faster on 2 cores
than tfjs-wasm. Deterministic for a fixed seed, thread count and torch build.

usage: train_llama.py SETTINGS.json TOKENS.bin OUT_DIR
"""
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rope_tables(head_dim, max_len, theta):
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    freqs = torch.outer(torch.arange(max_len, dtype=torch.float64), inv)
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos().float(), emb.sin().float()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, hd = c["hidden_size"], c["head_dim"]
        self.h, self.kv, self.hd = c["num_attention_heads"], c["num_key_value_heads"], hd
        self.q_proj = nn.Linear(d, self.h * hd, bias=False)
        self.k_proj = nn.Linear(d, self.kv * hd, bias=False)
        self.v_proj = nn.Linear(d, self.kv * hd, bias=False)
        self.o_proj = nn.Linear(self.h * hd, d, bias=False)
        self.gate_proj = nn.Linear(d, c["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(d, c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], d, bias=False)
        self.input_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(d, c["rms_norm_eps"])

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        y = self.input_layernorm(x)
        q = self.q_proj(y).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(y).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(y).view(b, t, self.kv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.h // self.kv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        mask = torch.full((t, t), float("-inf")).triu(1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + mask
        a = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, self.h * self.hd)
        x = x + self.o_proj(a)
        y = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


class Llama(nn.Module):
    def __init__(self, c, max_len):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Block(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        cos, sin = rope_tables(c["head_dim"], max_len, c["rope_theta"])
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, self.cos[:t], self.sin[:t])
        return self.norm(x) @ self.embed_tokens.weight.T  # tied LM head


def hf_state(model):
    """Hugging Face LlamaForCausalLM names (tied head: no lm_head.weight)."""
    out = {"model.embed_tokens.weight": model.embed_tokens.weight, "model.norm.weight": model.norm.weight}
    for i, layer in enumerate(model.layers):
        p = f"model.layers.{i}."
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            out[f"{p}self_attn.{name}.weight"] = getattr(layer, name).weight
        for name in ("gate_proj", "up_proj", "down_proj"):
            out[f"{p}mlp.{name}.weight"] = getattr(layer, name).weight
        out[f"{p}input_layernorm.weight"] = layer.input_layernorm.weight
        out[f"{p}post_attention_layernorm.weight"] = layer.post_attention_layernorm.weight
    return out


def write_safetensors(path, tensors):
    """The safetensors layout by hand: u64 header size, JSON header (8-byte aligned), raw data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().float().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def save(model, out_dir):
    write_safetensors(f"{out_dir}/model.safetensors.tmp", hf_state(model))
    os.replace(f"{out_dir}/model.safetensors.tmp", f"{out_dir}/model.safetensors")


def main():
    settings_path, tokens_path, out_dir = sys.argv[1:4]
    s = json.load(open(settings_path))
    c, t = s["config"], s["training"]
    torch.manual_seed(t["seed"])
    torch.set_num_threads(t["threads"])
    stream = np.fromfile(tokens_path, dtype="<u2").astype(np.int64)
    seq, batch = t["seq"], t["batch"]
    starts = np.arange(0, len(stream) - seq - 1, t["stride"])
    steps_per_epoch = len(starts) // batch
    total = steps_per_epoch * t["epochs"]
    model = Llama(c, seq)
    for name, p in model.named_parameters():
        if p.dim() == 2:
            nn.init.normal_(p, std=t["init_std"])
    params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": t["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=t["lr"], betas=(0.9, 0.95),
    )
    warmup = max(1, int(total * t["warmup"]))
    schedule = lambda step: min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total))))
    rng = np.random.RandomState(t["seed"])
    print(json.dumps({"event": "start", "parameters": params, "tokens": int(len(stream)), "steps": total}), flush=True)
    started = time.time()
    step, losses = 0, []
    for epoch in range(t["epochs"]):
        order = starts[rng.permutation(len(starts))]
        for b in range(steps_per_epoch):
            idx = order[b * batch:(b + 1) * batch]
            rows = torch.from_numpy(np.stack([stream[i:i + seq + 1] for i in idx]))
            for group in opt.param_groups:
                group["lr"] = t["lr"] * schedule(step)
            logits = model(rows[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), rows[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
            step += 1
            if step % t["log_every"] == 0 or step == total:
                seconds = time.time() - started
                print(json.dumps({
                    "event": "step", "step": step, "steps": total, "epoch": epoch + 1,
                    "loss": sum(losses[-t["log_every"]:]) / len(losses[-t["log_every"]:]),
                    "tokens_per_second": step * batch * seq / seconds, "seconds": seconds,
                }), flush=True)
        # a snapshot of the weights so far (the directory is loadable while training goes on)
        if t.get("snapshot_every") and (epoch + 1) % t["snapshot_every"] == 0 and epoch + 1 < t["epochs"]:
            save(model, out_dir)
            print(json.dumps({"event": "snapshot", "epoch": epoch + 1}), flush=True)
    seconds = time.time() - started
    save(model, out_dir)
    tail = losses[-min(len(losses), 50):]
    # the trained model's logits at a few positions of the first 32 corpus tokens, for the test that
    # checks our TypeScript forward reproduces this PyTorch one
    model.eval()
    with torch.no_grad():
        ids = torch.from_numpy(stream[:32]).unsqueeze(0)
        logits = model(ids)[0]
    positions = [0, 7, 15, 31]
    json.dump(
        {"tokens": stream[:32].tolist(), "positions": positions,
         "logits": [[round(float(x), 5) for x in logits[p]] for p in positions]},
        open(f"{out_dir}/reference_logits.json", "w"),
    )
    summary = {
        "trainer": f"PyTorch {torch.__version__} (CPU, {t['threads']} threads)",
        "seed": t["seed"], "epochs": t["epochs"], "steps": total, "batch": batch, "seq": seq,
        "tokensSeen": total * batch * seq, "corpusTokens": int(len(stream)), "parameters": params,
        "finalLoss": sum(tail) / len(tail), "seconds": seconds,
    }
    json.dump(summary, open(f"{out_dir}/training.json", "w"), indent=2)
    print(json.dumps({"event": "done", **summary}), flush=True)


if __name__ == "__main__":
    main()
