#!/usr/bin/python3
"""Generate golden test fixtures for d2o-spark's model-core.

Independent float64 PyTorch reference implementation (no transformers, no
safetensors package) of GPT-2, the Llama family (llama, mistral, qwen2), Qwen3
and Gemma 2, written from Hugging Face transformers' modeling_<family>.py and
configuration_<family>.py. For each case it writes, under
model-core/src/test/resources/golden/<case>/:

  config.json        Hugging Face style config
  model.safetensors  hand-written safetensors file
  golden.json        reference sequence log-probs and last-position logits
  greedy.json        greedy continuations of a few prompts

Run from the repository root with Debian's python3-torch:

  /usr/bin/python3 tools/golden/make_golden.py

The output is deterministic (fixed seeds, fixed generation order).
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

VOCAB = 96
MAX_POS = 64
GENERATOR = "tools/golden/make_golden.py"
OUT_ROOT = os.path.join("model-core", "src", "test", "resources", "golden")

TORCH_DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
HF_DTYPE_NAMES = {"F32": "float32", "BF16": "bfloat16", "F16": "float16"}
BYTES_PER_ELEM = {"F32": 4, "BF16": 2, "F16": 2}


# ---------------------------------------------------------------------------
# safetensors writing / reading (hand-written, independent of each other)
# ---------------------------------------------------------------------------

def tensor_bytes(t, dtype):
    """Little-endian raw bytes of fp32 tensor t stored as dtype."""
    t = t.detach().contiguous().to(torch.float32)
    if dtype == "F32":
        return t.numpy().astype("<f4").tobytes()
    if dtype == "F16":
        return t.to(torch.float16).numpy().astype("<f2").tobytes()
    if dtype == "BF16":
        # torch's bfloat16 bits (round-to-nearest-even) == upper 16 bits of the
        # rounded fp32 value.
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype):
    """tensors: list of (name, fp32 tensor), written in that order."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name, t in tensors:
        b = tensor_bytes(t, dtype)
        assert len(b) == t.numel() * BYTES_PER_ELEM[dtype]
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Independent minimal parser: returns (ordered list of names, dict name->(dtype, shape, fp32 ndarray))."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, "header length not a multiple of 8"
    raw = data[8:8 + n]
    assert raw.rstrip(b" ") == raw.rstrip(), "unexpected header padding"
    header = json.loads(raw.decode("utf-8"))
    assert header.pop("__metadata__") == {"format": "pt"}
    body = data[8 + n:]
    names = list(header.keys())
    out = {}
    expect = 0
    for name in names:
        info = header[name]
        begin, end = info["data_offsets"]
        assert begin == expect, (name, begin, expect)
        dtype, shape = info["dtype"], info["shape"]
        count = int(np.prod(shape)) if shape else 1
        assert end - begin == count * BYTES_PER_ELEM[dtype], name
        chunk = body[begin:end]
        if dtype == "F32":
            arr = np.frombuffer(chunk, dtype="<f4").astype(np.float32)
        elif dtype == "F16":
            arr = np.frombuffer(chunk, dtype="<f2").astype(np.float32)
        elif dtype == "BF16":
            u16 = np.frombuffer(chunk, dtype="<u2").astype(np.uint32)
            arr = (u16 << 16).view(np.float32)
        else:
            raise ValueError(dtype)
        out[name] = (dtype, shape, arr.reshape(shape))
        expect = end
    assert expect == len(body), "trailing bytes after last tensor"
    return names, out


# ---------------------------------------------------------------------------
# random initialisation
# ---------------------------------------------------------------------------

class Init:
    def __init__(self, seed, dtype):
        self.g = torch.Generator().manual_seed(seed)
        self.dtype = dtype

    def _round(self, t):
        # round to the storage dtype first; golden numbers use the rounded values
        return t.to(TORCH_DTYPES[self.dtype]).to(torch.float32)

    def weight(self, *shape, std=0.3):
        return self._round(torch.randn(*shape, generator=self.g) * std)

    def norm(self, n):
        return self._round(1.0 + 0.1 * torch.randn(n, generator=self.g))

    def bias(self, n):
        return self._round(0.1 * torch.randn(n, generator=self.g))


# ---------------------------------------------------------------------------
# GPT-2
# ---------------------------------------------------------------------------

def make_gpt2(seed, dtype, cfg, hub_names):
    E, L, P, V = cfg["n_embd"], cfg["n_layer"], cfg["n_positions"], cfg["vocab_size"]
    ini = Init(seed, dtype)
    w = {}
    w["wte.weight"] = ini.weight(V, E, std=0.5)
    w["wpe.weight"] = ini.weight(P, E, std=0.5)
    for i in range(L):
        p = "h.%d." % i
        w[p + "ln_1.weight"] = ini.norm(E)
        w[p + "ln_1.bias"] = ini.bias(E)
        w[p + "attn.c_attn.weight"] = ini.weight(E, 3 * E)
        w[p + "attn.c_attn.bias"] = ini.bias(3 * E)
        w[p + "attn.c_proj.weight"] = ini.weight(E, E)
        w[p + "attn.c_proj.bias"] = ini.bias(E)
        w[p + "ln_2.weight"] = ini.norm(E)
        w[p + "ln_2.bias"] = ini.bias(E)
        w[p + "mlp.c_fc.weight"] = ini.weight(E, 4 * E)
        w[p + "mlp.c_fc.bias"] = ini.bias(4 * E)
        w[p + "mlp.c_proj.weight"] = ini.weight(4 * E, E)
        w[p + "mlp.c_proj.bias"] = ini.bias(E)
    w["ln_f.weight"] = ini.norm(E)
    w["ln_f.bias"] = ini.bias(E)

    stored = {}
    if hub_names:
        stored.update(w)
        mask = torch.tril(torch.ones(P, P)).reshape(1, 1, P, P)
        for i in range(L):
            stored["h.%d.attn.bias" % i] = mask  # legacy buffer, loader must ignore
    else:
        for k, v in w.items():
            stored["transformer." + k] = v
        stored["lm_head.weight"] = w["wte.weight"].clone()
    return w, stored


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def gpt2_forward(w, cfg, ids):
    """Vectorised float64 forward. Returns logits (T, V)."""
    E, H, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    D = E // H
    T = len(ids)
    ids_t = torch.tensor(ids, dtype=torch.long)
    x = w["wte.weight"][ids_t] + w["wpe.weight"][:T]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(cfg["n_layer"]):
        p = "h.%d." % i
        a = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = qkv.split(E, dim=-1)
        q = q.reshape(T, H, D).transpose(0, 1)
        k = k.reshape(T, H, D).transpose(0, 1)
        v = v.reshape(T, H, D).transpose(0, 1)
        s = q @ k.transpose(-1, -2) / math.sqrt(D)
        s = s.masked_fill(~causal, float("-inf"))
        o = torch.softmax(s, dim=-1) @ v
        o = o.transpose(0, 1).reshape(T, E)
        x = x + o @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        m = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        m = gelu_new(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    return x @ w["wte.weight"].T


def gpt2_forward_naive(w, cfg, ids):
    """Per-token, per-head loop (KV-cache style) implementation for cross-checking."""
    E, H, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    D = E // H
    L = cfg["n_layer"]
    cache_k = [[[] for _ in range(H)] for _ in range(L)]
    cache_v = [[[] for _ in range(H)] for _ in range(L)]
    rows = []
    for t, tok in enumerate(ids):
        x = w["wte.weight"][tok] + w["wpe.weight"][t]
        for i in range(L):
            p = "h.%d." % i
            a = F.layer_norm(x, (E,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
            Wa, ba = w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"]
            out = torch.zeros(E, dtype=torch.float64)
            for h in range(H):
                qs = slice(h * D, (h + 1) * D)
                ks = slice(E + h * D, E + (h + 1) * D)
                vs = slice(2 * E + h * D, 2 * E + (h + 1) * D)
                q = a @ Wa[:, qs] + ba[qs]
                cache_k[i][h].append(a @ Wa[:, ks] + ba[ks])
                cache_v[i][h].append(a @ Wa[:, vs] + ba[vs])
                scores = torch.stack([torch.dot(q, kk) for kk in cache_k[i][h]]) / math.sqrt(D)
                probs = torch.exp(scores - scores.max())
                probs = probs / probs.sum()
                out[qs] = sum(pr * vv for pr, vv in zip(probs, cache_v[i][h]))
            x = x + out @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
            m = F.layer_norm(x, (E,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
            m = F.gelu(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"], approximate="tanh")
            x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        x = F.layer_norm(x, (E,), w["ln_f.weight"], w["ln_f.bias"], eps)
        rows.append(w["wte.weight"] @ x)
    return torch.stack(rows)


# ---------------------------------------------------------------------------
# Llama family (llama, mistral, qwen2)
# ---------------------------------------------------------------------------

def llama_head_dim(cfg):
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def make_llama(seed, dtype, cfg, qkv_bias):
    E, I, L, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = llama_head_dim(cfg)
    tied = cfg["tie_word_embeddings"]
    ini = Init(seed, dtype)
    w = {}
    w["model.embed_tokens.weight"] = ini.weight(V, E, std=0.5)
    for i in range(L):
        p = "model.layers.%d." % i
        w[p + "input_layernorm.weight"] = ini.norm(E)
        w[p + "self_attn.q_proj.weight"] = ini.weight(H * D, E)
        w[p + "self_attn.k_proj.weight"] = ini.weight(KV * D, E)
        w[p + "self_attn.v_proj.weight"] = ini.weight(KV * D, E)
        if qkv_bias:
            w[p + "self_attn.q_proj.bias"] = ini.bias(H * D)
            w[p + "self_attn.k_proj.bias"] = ini.bias(KV * D)
            w[p + "self_attn.v_proj.bias"] = ini.bias(KV * D)
        w[p + "self_attn.o_proj.weight"] = ini.weight(E, H * D)
        w[p + "post_attention_layernorm.weight"] = ini.norm(E)
        w[p + "mlp.gate_proj.weight"] = ini.weight(I, E)
        w[p + "mlp.up_proj.weight"] = ini.weight(I, E)
        w[p + "mlp.down_proj.weight"] = ini.weight(E, I)
    w["model.norm.weight"] = ini.norm(E)
    if not tied:
        w["lm_head.weight"] = ini.weight(V, E)
    return w, dict(w)


def rms_norm(x, w, eps):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


def rope_cos_sin(T, D, theta):
    inv_freq = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    pos = torch.arange(T, dtype=torch.float64)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def linear(x, w, name):
    y = x @ w[name + ".weight"].T
    if name + ".bias" in w:
        y = y + w[name + ".bias"]
    return y


def llama_forward(w, cfg, ids):
    """Vectorised float64 forward. Returns logits (T, V)."""
    E, H, KV = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = llama_head_dim(cfg)
    eps = cfg["rms_norm_eps"]
    T = len(ids)
    cos, sin = rope_cos_sin(T, D, cfg["rope_theta"])
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = w["model.embed_tokens.weight"][torch.tensor(ids, dtype=torch.long)]
    group = H // KV
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        a = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(a, w, p + "self_attn.q_proj").reshape(T, H, D).transpose(0, 1)
        k = linear(a, w, p + "self_attn.k_proj").reshape(T, KV, D).transpose(0, 1)
        v = linear(a, w, p + "self_attn.v_proj").reshape(T, KV, D).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(group, dim=0)  # query head h -> kv head h // group
        v = v.repeat_interleave(group, dim=0)
        s = q @ k.transpose(-1, -2) / math.sqrt(D)
        s = s.masked_fill(~causal, float("-inf"))
        o = (torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(T, H * D)
        x = x + linear(o, w, p + "self_attn.o_proj")
        m = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        m = F.silu(linear(m, w, p + "mlp.gate_proj")) * linear(m, w, p + "mlp.up_proj")
        x = x + linear(m, w, p + "mlp.down_proj")
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["lm_head.weight"] if "lm_head.weight" in w else w["model.embed_tokens.weight"]
    return x @ head.T


def llama_forward_naive(w, cfg, ids):
    """Per-token, per-head loop with complex-number RoPE, for cross-checking."""
    E, H, KV = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = llama_head_dim(cfg)
    L, eps, theta = cfg["num_hidden_layers"], cfg["rms_norm_eps"], cfg["rope_theta"]
    half = D // 2

    def rope(vec, pos):
        # pair (i, i + D/2) rotated by angle pos * theta^(-2i/D)
        out = torch.empty_like(vec)
        for j in range(half):
            ang = pos * theta ** (-2.0 * j / D)
            z = complex(float(vec[j]), float(vec[j + half])) * complex(math.cos(ang), math.sin(ang))
            out[j], out[j + half] = z.real, z.imag
        return out

    def lin(x, name):
        y = w[name + ".weight"] @ x
        if name + ".bias" in w:
            y = y + w[name + ".bias"]
        return y

    cache_k = [[[] for _ in range(KV)] for _ in range(L)]
    cache_v = [[[] for _ in range(KV)] for _ in range(L)]
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    rows = []
    for t, tok in enumerate(ids):
        x = w["model.embed_tokens.weight"][tok].clone()
        for i in range(L):
            p = "model.layers.%d." % i
            a = x / torch.sqrt((x ** 2).sum() / E + eps) * w[p + "input_layernorm.weight"]
            q = lin(a, p + "self_attn.q_proj")
            k = lin(a, p + "self_attn.k_proj")
            v = lin(a, p + "self_attn.v_proj")
            for g in range(KV):
                cache_k[i][g].append(rope(k[g * D:(g + 1) * D], t))
                cache_v[i][g].append(v[g * D:(g + 1) * D])
            o = torch.zeros(H * D, dtype=torch.float64)
            for h in range(H):
                g = h // (H // KV)
                qh = rope(q[h * D:(h + 1) * D], t)
                scores = torch.stack([torch.dot(qh, kk) for kk in cache_k[i][g]]) / math.sqrt(D)
                probs = torch.exp(scores - scores.max())
                probs = probs / probs.sum()
                o[h * D:(h + 1) * D] = sum(pr * vv for pr, vv in zip(probs, cache_v[i][g]))
            x = x + lin(o, p + "self_attn.o_proj")
            m = x / torch.sqrt((x ** 2).sum() / E + eps) * w[p + "post_attention_layernorm.weight"]
            gate = lin(m, p + "mlp.gate_proj")
            m = gate / (1.0 + torch.exp(-gate)) * lin(m, p + "mlp.up_proj")
            x = x + lin(m, p + "mlp.down_proj")
        x = x / torch.sqrt((x ** 2).sum() / E + eps) * w["model.norm.weight"]
        rows.append(head @ x)
    return torch.stack(rows)


# ---------------------------------------------------------------------------
# attention windows, as the Hugging Face configs decide them
# ---------------------------------------------------------------------------

def qwen_windows(cfg):
    """configuration_qwen3.py / configuration_qwen2.py: sliding_window only with
    use_sliding_window; then layer i slides when i >= max_window_layers (or as
    layer_types says)."""
    L = cfg["num_hidden_layers"]
    window = cfg.get("sliding_window") if cfg.get("use_sliding_window", False) else None
    types = cfg.get("layer_types") or [
        "sliding_attention" if window is not None and i >= cfg.get("max_window_layers", 28)
        else "full_attention" for i in range(L)]
    return [window if t == "sliding_attention" and window is not None else 0 for t in types]


def gemma2_windows(cfg):
    """configuration_gemma2.py: layer_types defaults to "sliding_attention" if
    bool((i + 1) % 2) else "full_attention"; Gemma2Attention uses sliding_window
    on the sliding layers only."""
    L = cfg["num_hidden_layers"]
    types = cfg.get("layer_types") or [
        "sliding_attention" if bool((i + 1) % 2) else "full_attention" for i in range(L)]
    window = cfg.get("sliding_window")
    return [window if t == "sliding_attention" and window is not None else 0 for t in types]


def attention_mask(T, window):
    """True where query i may attend key j: j <= i, and with a window, the key is
    not masked by torch.tril(ones, diagonal=-window) (i - j < window)."""
    i = torch.arange(T).reshape(-1, 1)
    j = torch.arange(T).reshape(1, -1)
    ok = j <= i
    if window:
        ok = ok & (i - j < window)
    return ok


# ---------------------------------------------------------------------------
# Qwen3 (modeling_qwen3.py)
# ---------------------------------------------------------------------------

def make_qwen3(seed, dtype, cfg):
    E, I, L, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    H, KV, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    bias = cfg["attention_bias"]
    ini = Init(seed, dtype)
    w = {}
    w["model.embed_tokens.weight"] = ini.weight(V, E, std=0.5)
    for i in range(L):
        p = "model.layers.%d." % i
        w[p + "input_layernorm.weight"] = ini.norm(E)
        for name, rows in (("q_proj", H * D), ("k_proj", KV * D), ("v_proj", KV * D)):
            w[p + "self_attn.%s.weight" % name] = ini.weight(rows, E)
            if bias:
                w[p + "self_attn.%s.bias" % name] = ini.bias(rows)
        w[p + "self_attn.o_proj.weight"] = ini.weight(E, H * D)
        if bias:
            w[p + "self_attn.o_proj.bias"] = ini.bias(E)
        w[p + "self_attn.q_norm.weight"] = ini.norm(D)
        w[p + "self_attn.k_norm.weight"] = ini.norm(D)
        w[p + "post_attention_layernorm.weight"] = ini.norm(E)
        w[p + "mlp.gate_proj.weight"] = ini.weight(I, E)
        w[p + "mlp.up_proj.weight"] = ini.weight(I, E)
        w[p + "mlp.down_proj.weight"] = ini.weight(E, I)
    w["model.norm.weight"] = ini.norm(E)
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = ini.weight(V, E)
    return w, dict(w)


def qwen3_forward(w, cfg, ids):
    """Vectorised float64 forward of Qwen3ForCausalLM. Returns logits (T, V)."""
    H, KV, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    T = len(ids)
    cos, sin = rope_cos_sin(T, D, cfg["rope_theta"])
    windows = qwen_windows(cfg)
    x = w["model.embed_tokens.weight"][torch.tensor(ids, dtype=torch.long)]
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        a = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        # q_norm / k_norm: RMSNorm over head_dim on (T, heads, D), before the rotary embedding
        q = rms_norm(linear(a, w, p + "self_attn.q_proj").reshape(T, H, D), w[p + "self_attn.q_norm.weight"], eps)
        k = rms_norm(linear(a, w, p + "self_attn.k_proj").reshape(T, KV, D), w[p + "self_attn.k_norm.weight"], eps)
        v = linear(a, w, p + "self_attn.v_proj").reshape(T, KV, D)
        q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KV, dim=0)
        v = v.repeat_interleave(H // KV, dim=0)
        s = q @ k.transpose(-1, -2) * D ** -0.5
        s = s.masked_fill(~attention_mask(T, windows[i]), float("-inf"))
        o = (torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(T, H * D)
        x = x + linear(o, w, p + "self_attn.o_proj")
        m = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        m = F.silu(linear(m, w, p + "mlp.gate_proj")) * linear(m, w, p + "mlp.up_proj")
        x = x + linear(m, w, p + "mlp.down_proj")
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["lm_head.weight"] if "lm_head.weight" in w else w["model.embed_tokens.weight"]
    return x @ head.T


# ---------------------------------------------------------------------------
# Gemma 2 (modeling_gemma2.py)
# ---------------------------------------------------------------------------

def make_gemma2(seed, dtype, cfg):
    E, I, L, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    H, KV, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    ini = Init(seed, dtype)

    def norm(n):  # Gemma2RMSNorm scales by (1 + w): weights near 0
        return ini.bias(n)

    w = {}
    # smaller than the other families' 0.5: the embeddings are scaled by sqrt(hidden) and, tied,
    # would otherwise dominate the residual stream and make greedy decoding repeat the last token
    w["model.embed_tokens.weight"] = ini.weight(V, E, std=0.15)
    for i in range(L):
        p = "model.layers.%d." % i
        w[p + "input_layernorm.weight"] = norm(E)
        w[p + "self_attn.q_proj.weight"] = ini.weight(H * D, E)
        w[p + "self_attn.k_proj.weight"] = ini.weight(KV * D, E)
        w[p + "self_attn.v_proj.weight"] = ini.weight(KV * D, E)
        w[p + "self_attn.o_proj.weight"] = ini.weight(E, H * D)
        w[p + "post_attention_layernorm.weight"] = norm(E)
        w[p + "pre_feedforward_layernorm.weight"] = norm(E)
        w[p + "mlp.gate_proj.weight"] = ini.weight(I, E)
        w[p + "mlp.up_proj.weight"] = ini.weight(I, E)
        w[p + "mlp.down_proj.weight"] = ini.weight(E, I)
        w[p + "post_feedforward_layernorm.weight"] = norm(E)
    w["model.norm.weight"] = norm(E)
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = ini.weight(V, E)
    return w, dict(w)


def gemma_rms_norm(x, w, eps):
    """Gemma2RMSNorm: x * rsqrt(mean(x^2) + eps) * (1 + w)."""
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * (1.0 + w)


def softcap(x, cap):
    return x if cap is None else torch.tanh(x / cap) * cap


def gemma2_normalizer(E):
    """Gemma2Model multiplies the embeddings by torch.tensor(hidden_size**0.5,
    dtype=hidden_states.dtype); the project runs the model in fp32, so the fp32
    value."""
    return float(torch.tensor(E ** 0.5, dtype=torch.float32))


def gemma2_forward(w, cfg, ids):
    """Vectorised float64 forward of Gemma2ForCausalLM. Returns logits (T, V)."""
    E, H, KV, D = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    T = len(ids)
    cos, sin = rope_cos_sin(T, D, cfg["rope_theta"])
    windows = gemma2_windows(cfg)
    x = w["model.embed_tokens.weight"][torch.tensor(ids, dtype=torch.long)] * gemma2_normalizer(E)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        a = gemma_rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(a, w, p + "self_attn.q_proj").reshape(T, H, D).transpose(0, 1)
        k = linear(a, w, p + "self_attn.k_proj").reshape(T, KV, D).transpose(0, 1)
        v = linear(a, w, p + "self_attn.v_proj").reshape(T, KV, D).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KV, dim=0)
        v = v.repeat_interleave(H // KV, dim=0)
        s = q @ k.transpose(-1, -2) * cfg["query_pre_attn_scalar"] ** -0.5
        s = softcap(s, cfg["attn_logit_softcapping"])
        s = s.masked_fill(~attention_mask(T, windows[i]), float("-inf"))
        o = (torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(T, H * D)
        o = linear(o, w, p + "self_attn.o_proj")
        x = x + gemma_rms_norm(o, w[p + "post_attention_layernorm.weight"], eps)
        m = gemma_rms_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps)
        m = F.gelu(linear(m, w, p + "mlp.gate_proj"), approximate="tanh") * linear(m, w, p + "mlp.up_proj")
        m = linear(m, w, p + "mlp.down_proj")
        x = x + gemma_rms_norm(m, w[p + "post_feedforward_layernorm.weight"], eps)
    x = gemma_rms_norm(x, w["model.norm.weight"], eps)
    head = w["lm_head.weight"] if "lm_head.weight" in w else w["model.embed_tokens.weight"]
    return softcap(x @ head.T, cfg["final_logit_softcapping"])


def attention_naive(q, cache_k, cache_v, t, window, scale, cap):
    """One query against the cached keys of one head, looping over the visible
    positions (the window counts back from position t)."""
    visible = [j for j in range(t + 1) if not window or t - j < window]
    scores = [float(torch.dot(q, cache_k[j])) * scale for j in visible]
    if cap is not None:
        scores = [math.tanh(sc / cap) * cap for sc in scores]
    top = max(scores)
    probs = [math.exp(sc - top) for sc in scores]
    total = math.fsum(probs)
    return sum((pr / total) * cache_v[j] for pr, j in zip(probs, visible))


def rope_naive(vec, pos, theta):
    """Pairs (j, j + D/2) rotated by pos * theta^(-2j/D), as complex numbers."""
    D = vec.shape[0]
    out = torch.empty_like(vec)
    for j in range(D // 2):
        ang = pos * theta ** (-2.0 * j / D)
        z = complex(float(vec[j]), float(vec[j + D // 2])) * complex(math.cos(ang), math.sin(ang))
        out[j], out[j + D // 2] = z.real, z.imag
    return out


def decoder_naive(w, cfg, ids, kind):
    """Per-token, per-head loop (KV-cache style) for Qwen3 and Gemma 2, for
    cross-checking the vectorised forwards."""
    E, H, KV, D = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    L, eps, theta = cfg["num_hidden_layers"], cfg["rms_norm_eps"], cfg["rope_theta"]
    gemma = kind == "gemma2"
    windows = gemma2_windows(cfg) if gemma else qwen_windows(cfg)
    scale = cfg["query_pre_attn_scalar"] ** -0.5 if gemma else 1.0 / math.sqrt(D)
    cap = cfg["attn_logit_softcapping"] if gemma else None

    def norm(x, name):
        r = x / torch.sqrt((x ** 2).sum() / x.shape[0] + eps)
        return r * (1.0 + w[name]) if gemma else r * w[name]

    def lin(x, name):
        y = w[name + ".weight"] @ x
        return y + w[name + ".bias"] if name + ".bias" in w else y

    cache_k = [[[] for _ in range(KV)] for _ in range(L)]
    cache_v = [[[] for _ in range(KV)] for _ in range(L)]
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    rows = []
    for t, tok in enumerate(ids):
        x = w["model.embed_tokens.weight"][tok].clone()
        if gemma:
            x = x * gemma2_normalizer(E)
        for i in range(L):
            p = "model.layers.%d." % i
            a = norm(x, p + "input_layernorm.weight")
            q, k, v = lin(a, p + "self_attn.q_proj"), lin(a, p + "self_attn.k_proj"), lin(a, p + "self_attn.v_proj")
            for g in range(KV):
                kg = k[g * D:(g + 1) * D]
                if not gemma:
                    kg = norm(kg, p + "self_attn.k_norm.weight")
                cache_k[i][g].append(rope_naive(kg, t, theta))
                cache_v[i][g].append(v[g * D:(g + 1) * D])
            o = torch.zeros(H * D, dtype=torch.float64)
            for h in range(H):
                qh = q[h * D:(h + 1) * D]
                if not gemma:
                    qh = norm(qh, p + "self_attn.q_norm.weight")
                g = h // (H // KV)
                o[h * D:(h + 1) * D] = attention_naive(
                    rope_naive(qh, t, theta), cache_k[i][g], cache_v[i][g], t, windows[i], scale, cap)
            o = lin(o, p + "self_attn.o_proj")
            x = x + (norm(o, p + "post_attention_layernorm.weight") if gemma else o)
            m = norm(x, p + ("pre_feedforward_layernorm.weight" if gemma else "post_attention_layernorm.weight"))
            gate = lin(m, p + "mlp.gate_proj")
            act = gelu_new(gate) if gemma else gate / (1.0 + torch.exp(-gate))
            m = lin(act * lin(m, p + "mlp.up_proj"), p + "mlp.down_proj")
            x = x + (norm(m, p + "post_feedforward_layernorm.weight") if gemma else m)
        x = norm(x, "model.norm.weight")
        logits = head @ x
        if gemma and cfg["final_logit_softcapping"] is not None:
            logits = torch.tanh(logits / cfg["final_logit_softcapping"]) * cfg["final_logit_softcapping"]
        rows.append(logits)
    return torch.stack(rows)


def qwen3_forward_naive(w, cfg, ids):
    return decoder_naive(w, cfg, ids, "qwen3")


def gemma2_forward_naive(w, cfg, ids):
    return decoder_naive(w, cfg, ids, "gemma2")


# ---------------------------------------------------------------------------
# configs
# ---------------------------------------------------------------------------

def gpt2_config(dtype, saved):
    cfg = {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.1,
        "bos_token_id": 95,
        "embd_pdrop": 0.1,
        "eos_token_id": 95,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2",
        "n_ctx": 64,
        "n_embd": 32,
        "n_head": 4,
        "n_layer": 2,
        "n_positions": 64,
        "resid_pdrop": 0.1,
        "vocab_size": VOCAB,
    }
    if saved:  # keys save_pretrained adds
        cfg.update({
            "n_inner": None,
            "reorder_and_upcast_attn": False,
            "scale_attn_by_inverse_layer_idx": False,
            "scale_attn_weights": True,
            "torch_dtype": HF_DTYPE_NAMES[dtype],
            "use_cache": True,
        })
    return dict(sorted(cfg.items()))


def llama_family_config(model_type, dtype, **over):
    arch = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM"}
    cfg = {
        "architectures": [arch[model_type]],
        "attention_dropout": 0.0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "max_position_embeddings": MAX_POS,
        "model_type": model_type,
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06,
        "rope_theta": 10000.0,
        "tie_word_embeddings": False,
        "torch_dtype": HF_DTYPE_NAMES[dtype],
        "use_cache": True,
        "vocab_size": VOCAB,
    }
    if model_type == "llama":
        cfg.update({"attention_bias": False, "mlp_bias": False, "pretraining_tp": 1, "rope_scaling": None})
    cfg.update(over)
    return dict(sorted(cfg.items()))


def qwen3_config(dtype, **over):
    cfg = {
        "architectures": ["Qwen3ForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "head_dim": 16,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "max_position_embeddings": MAX_POS,
        "max_window_layers": 1,
        "model_type": "qwen3",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06,
        "rope_scaling": None,
        "rope_theta": 1000000.0,
        "sliding_window": 8,
        "tie_word_embeddings": False,
        "torch_dtype": HF_DTYPE_NAMES[dtype],
        "use_cache": True,
        "use_sliding_window": True,
        "vocab_size": VOCAB,
    }
    cfg.update(over)
    return dict(sorted(cfg.items()))


def gemma2_config(dtype, **over):
    cfg = {
        "architectures": ["Gemma2ForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "attn_logit_softcapping": 4.0,
        "bos_token_id": 2,
        "eos_token_id": 1,
        "final_logit_softcapping": 6.0,
        "head_dim": 16,
        "hidden_activation": "gelu_pytorch_tanh",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "max_position_embeddings": MAX_POS,
        "model_type": "gemma2",
        "num_attention_heads": 4,
        "num_hidden_layers": 3,
        "num_key_value_heads": 2,
        "pad_token_id": 0,
        "query_pre_attn_scalar": 24,
        "rms_norm_eps": 1e-06,
        "rope_theta": 10000.0,
        "sliding_window": 6,
        "tie_word_embeddings": True,
        "torch_dtype": HF_DTYPE_NAMES[dtype],
        "use_cache": True,
        "vocab_size": VOCAB,
    }
    cfg.update(over)
    return dict(sorted(cfg.items()))


CASES = [
    # name, family, dtype, seed, config, extra
    ("gpt2-f32-hub", "gpt2", "F32", 1001, gpt2_config("F32", saved=False), {"hub_names": True}),
    ("gpt2-bf16-saved", "gpt2", "BF16", 1002, gpt2_config("BF16", saved=True), {"hub_names": False}),
    ("llama-f32", "llama", "F32", 1003, llama_family_config("llama", "F32"), {"qkv_bias": False}),
    ("llama-bf16", "llama", "BF16", 1004,
     llama_family_config("llama", "BF16", head_dim=16, tie_word_embeddings=True), {"qkv_bias": False}),
    ("qwen2-f32", "llama", "F32", 1005,
     llama_family_config("qwen2", "F32", num_key_value_heads=1, rope_theta=1000000.0,
                         tie_word_embeddings=True, use_sliding_window=False,
                         sliding_window=32768, max_window_layers=2),
     {"qkv_bias": True}),
    ("mistral-f16", "llama", "F16", 1006,
     llama_family_config("mistral", "F16", sliding_window=4096), {"qkv_bias": False}),
    # head_dim 16 on width 32 (q width 64); layer 0 full, layer 1 slides over 8 (max_window_layers 1)
    ("qwen3-f32", "qwen3", "F32", 1007, qwen3_config("F32"), {}),
    # q/k/v/o biases, one KV head, head_dim 12, tied, no window
    ("qwen3-bf16", "qwen3", "BF16", 1008,
     qwen3_config("BF16", attention_bias=True, num_key_value_heads=1, head_dim=12,
                  tie_word_embeddings=True, use_sliding_window=False, sliding_window=None,
                  max_window_layers=2), {}),
    # 3 layers: 0 and 2 slide over 6, 1 is global; query_pre_attn_scalar 24 != head_dim; tied;
    # soft-caps small enough that tanh bends the scores and logits
    ("gemma2-f32", "gemma2", "F32", 1009, gemma2_config("F32"), {}),
    # untied head, explicit layer_types (layer 0 global, layer 1 slides over 8), no attention cap,
    # one KV head, head_dim 8
    ("gemma2-bf16", "gemma2", "BF16", 1010,
     gemma2_config("BF16", num_hidden_layers=2, num_key_value_heads=1, head_dim=8,
                   query_pre_attn_scalar=8, tie_word_embeddings=False, sliding_window=8,
                   layer_types=["full_attention", "sliding_attention"],
                   attn_logit_softcapping=None, final_logit_softcapping=10.0), {}),
]


# ---------------------------------------------------------------------------
# sequences and golden numbers
# ---------------------------------------------------------------------------

def make_sequences(seed):
    g = torch.Generator().manual_seed(seed + 500000)

    def rint(lo, hi):  # inclusive
        return int(torch.randint(lo, hi + 1, (1,), generator=g))

    def toks(n):
        return [int(t) for t in torch.randint(0, VOCAB, (n,), generator=g)]

    lengths = [
        (1, rint(2, 14)),           # prompt length 1
        (rint(2, 10), 1),           # response length 1
        (rint(2, 10), rint(2, 14)),
        (rint(2, 10), rint(2, 14)),
        (10, MAX_POS - 10),         # total length exactly MAX_POS
    ]
    return [(toks(p), toks(r)) for p, r in lengths]


def token_logps(logits, ids, prompt_len):
    lp = torch.log_softmax(logits, dim=-1)
    return [float(lp[j - 1, ids[j]]) for j in range(prompt_len, len(ids))]


def check_consistency(fwd, naive, w64, cfg, seqs, name):
    # 1. vectorised vs. naive per-token loop implementation
    for prompt, resp in seqs[:2] + seqs[-1:]:
        ids = prompt + resp
        a, b = fwd(w64, cfg, ids), naive(w64, cfg, ids)
        err = (a - b).abs().max().item()
        assert err < 1e-9, "%s: vectorised vs naive mismatch %g" % (name, err)
    # 2. causality: changing a later token leaves earlier logits unchanged
    prompt, resp = seqs[-1]
    ids = prompt + resp
    base = fwd(w64, cfg, ids)
    for cut in (5, 30, len(ids) - 1):
        ids2 = list(ids)
        ids2[cut] = (ids2[cut] + 17) % VOCAB
        other = fwd(w64, cfg, ids2)
        assert torch.equal(base[:cut], other[:cut]), "%s: causality broken at %d" % (name, cut)
        assert not torch.allclose(base[cut], other[cut]), "%s: token %d has no effect" % (name, cut)
    # 3. prefix: scoring a prefix alone gives the same logits as within the longer sequence
    pre = fwd(w64, cfg, ids[:20])
    err = (pre - base[:20]).abs().max().item()
    assert err < 1e-10, "%s: prefix mismatch %g" % (name, err)


def check_roundtrip(path, stored, dtype):
    names, parsed = read_safetensors(path)
    assert names == list(stored.keys()), "tensor order mismatch"
    for name, t in stored.items():
        d, shape, arr = parsed[name]
        assert d == dtype and shape == list(t.shape), name
        assert np.array_equal(arr, t.numpy()), "round trip mismatch for " + name
        if dtype == "BF16":
            ref = t.to(torch.bfloat16).to(torch.float32).numpy()
            assert np.array_equal(arr, ref), name
    return parsed


def format_golden(golden):
    """JSON with one line per sequence / list, for readable diffs."""
    c = lambda v: json.dumps(v, separators=(", ", ": "))
    lines = ["{"]
    for key in ("case", "model_type", "dtype", "generator", "torch_version"):
        lines.append("  %s: %s," % (c(key), c(golden[key])))
    lines.append('  "sequences": [')
    seqs = golden["sequences"]
    for n, s in enumerate(seqs):
        lines.append("    {")
        lines.append('      "prompt_ids": %s,' % c(s["prompt_ids"]))
        lines.append('      "response_ids": %s,' % c(s["response_ids"]))
        lines.append('      "logp": %s,' % c(s["logp"]))
        lines.append('      "token_logps": %s' % c(s["token_logps"]))
        lines.append("    }" + ("," if n + 1 < len(seqs) else ""))
    lines.append("  ],")
    lc = golden["logits_check"]
    lines.append('  "logits_check": {')
    lines.append('    "ids": %s,' % c(lc["ids"]))
    lines.append('    "last_logits": %s' % c(lc["last_logits"]))
    lines.append("  }")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == golden
    return text


GREEDY_PROMPT_LENGTHS = (3, 7, 12)
GREEDY_NEW_TOKENS = 20
# float64 here vs fp32 in Java: a prompt whose greedy path has two logits closer than this at
# some step is replaced by the next random prompt, so that argmax cannot flip on rounding
GREEDY_MIN_GAP = 1e-3


def greedy(fwd, w64, cfg, prompt, eos):
    """Greedy decoding, recomputing the whole sequence each step; stops after EOS."""
    ids, out, gap = list(prompt), [], float("inf")
    for _ in range(GREEDY_NEW_TOKENS):
        logits = fwd(w64, cfg, ids)[-1]
        top = torch.topk(logits, 2).values
        gap = min(gap, float(top[0] - top[1]))
        nxt = int(torch.argmax(logits))
        out.append(nxt)
        ids.append(nxt)
        if nxt in eos:
            break
    return out, gap


def make_greedy(name, fwd, w64, cfg, seed):
    g = torch.Generator().manual_seed(seed + 700000)
    eos = cfg["eos_token_id"] if isinstance(cfg["eos_token_id"], list) else [cfg["eos_token_id"]]
    prompts = []
    for length in GREEDY_PROMPT_LENGTHS:
        for _ in range(50):
            # ids 3..94: no special token of the configs (0-2, 95) in the prompt
            prompt = [int(t) for t in torch.randint(3, VOCAB - 1, (length,), generator=g)]
            tokens, gap = greedy(fwd, w64, cfg, prompt, eos)
            if gap > GREEDY_MIN_GAP:
                break
        else:
            raise AssertionError("%s: no prompt of length %d with a clear greedy path" % (name, length))
        prompts.append({"prompt_ids": prompt, "tokens": tokens, "min_top2_gap": gap})
    c = lambda v: json.dumps(v, separators=(", ", ": "))
    lines = ["{"]
    for key, value in (("case", name), ("generator", GENERATOR), ("torch_version", torch.__version__),
                       ("max_new_tokens", GREEDY_NEW_TOKENS), ("eos_token_ids", eos)):
        lines.append("  %s: %s," % (c(key), c(value)))
    lines.append('  "prompts": [')
    for n, pr in enumerate(prompts):
        lines.append("    {%s: %s, %s: %s, %s: %s}%s" % (
            c("prompt_ids"), c(pr["prompt_ids"]), c("tokens"), c(pr["tokens"]),
            c("min_top2_gap"), c(pr["min_top2_gap"]), "," if n + 1 < len(prompts) else ""))
    lines.append("  ]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text)["prompts"] == prompts
    return text, min(pr["min_top2_gap"] for pr in prompts)


def build_case(name, family, dtype, seed, cfg, extra):
    if family == "gpt2":
        w, stored = make_gpt2(seed, dtype, cfg, extra["hub_names"])
        fwd, naive = gpt2_forward, gpt2_forward_naive
    elif family == "qwen3":
        w, stored = make_qwen3(seed, dtype, cfg)
        fwd, naive = qwen3_forward, qwen3_forward_naive
    elif family == "gemma2":
        w, stored = make_gemma2(seed, dtype, cfg)
        fwd, naive = gemma2_forward, gemma2_forward_naive
    else:
        w, stored = make_llama(seed, dtype, cfg, extra["qkv_bias"])
        fwd, naive = llama_forward, llama_forward_naive
    stored = dict(sorted(stored.items()))  # alphabetical, like real safetensors files

    out_dir = os.path.join(OUT_ROOT, name)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    st_path = os.path.join(out_dir, "model.safetensors")
    write_safetensors(st_path, list(stored.items()), dtype)

    # Reference forward uses the weights as re-read from the file (dequantised), in float64.
    parsed = check_roundtrip(st_path, stored, dtype)
    prefix = "transformer." if family == "gpt2" and not extra["hub_names"] else ""
    w64 = {k: torch.from_numpy(np.array(parsed[prefix + k][2])).to(torch.float64) for k in w}
    if prefix:
        assert np.array_equal(parsed["lm_head.weight"][2], parsed["transformer.wte.weight"][2])

    seqs = make_sequences(seed)
    check_consistency(fwd, naive, w64, cfg, seqs, name)

    sequences = []
    first_ids, first_last = None, None
    for prompt, resp in seqs:
        ids = prompt + resp
        assert len(ids) <= MAX_POS
        logits = fwd(w64, cfg, ids)
        tl = token_logps(logits, ids, len(prompt))
        sequences.append({"prompt_ids": prompt, "response_ids": resp,
                          "logp": float(math.fsum(tl)), "token_logps": tl})
        if first_ids is None:
            first_ids, first_last = ids, [float(v) for v in logits[-1]]

    golden = {
        "case": name,
        "model_type": cfg["model_type"],
        "dtype": dtype,
        "generator": GENERATOR,
        "torch_version": torch.__version__,
        "sequences": sequences,
        "logits_check": {"ids": first_ids, "last_logits": first_last},
    }
    with open(os.path.join(out_dir, "golden.json"), "w") as f:
        f.write(format_golden(golden))
    greedy_text, gap = make_greedy(name, fwd, w64, cfg, seed)
    with open(os.path.join(out_dir, "greedy.json"), "w") as f:
        f.write(greedy_text)

    all_tl = [v for s in sequences for v in s["token_logps"]]
    print("%-16s %-5s tensors=%3d  token_logp range [%.3f, %.3f]  mean %.3f  lens %s  greedy gap %.3g" % (
        name, dtype, len(stored), min(all_tl), max(all_tl), sum(all_tl) / len(all_tl),
        [(len(s["prompt_ids"]), len(s["response_ids"])) for s in sequences], gap))


def main():
    if not os.path.isdir("model-core"):
        sys.exit("run from the repository root")
    torch.manual_seed(0)
    for case in CASES:
        build_case(*case)


if __name__ == "__main__":
    main()
