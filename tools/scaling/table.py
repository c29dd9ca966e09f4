"""Computed memory and traffic per executor for docs/scaling.md (no measurement: arithmetic only).

Run: python3 tools/scaling/table.py
Every figure is computed from the model shape with the assumptions printed below the table.
"""

GB = 1e9
SHAPES = {  # hidden, layers, heads, kv heads, MLP width, vocabulary, tied head
    "1B (Llama-3.2-1B shape, untied)": (2048, 16, 32, 8, 8192, 128256, False),
    "8B (Llama-3-8B)": (4096, 32, 32, 8, 14336, 128256, False),
    "70B (Llama-3-70B)": (8192, 80, 64, 8, 28672, 128256, False),
}
GPUS = {"A10G 24 GB": 24, "A100 80 GB": 80, "H100 80 GB": 80}
RANK, K, T, EXECUTORS = 16, 11, 512, 4


def shape_sizes(h, layers, heads, kv_heads, inner, vocab, tied):
    kv = h // heads * kv_heads
    per_layer = 2 * h * h + 2 * h * kv + 3 * h * inner + 2 * h
    params = layers * per_layer + vocab * h * (1 if tied else 2) + h
    adapters = layers * RANK * ((h + h) * 2 + (h + kv) * 2)  # q, k, v, o
    # values autograd keeps per token of one layer while it is recomputed (F32): two norms (in and
    # out), q/k/v (and q/k after RoPE), the attention output, scores and probabilities over T keys,
    # and the SwiGLU gate, up, silu(gate) and product
    layer_graph = 7 * h + 3 * kv + 4 * inner + 2 * heads * T
    return params, adapters, layer_graph, kv


def row(name, shape):
    h, layers, heads, kv_heads, inner, vocab, tied = shape
    params, adapters, layer_graph, _ = shape_sizes(*shape)
    weights = 2 * params / GB  # F16/BF16 frozen base
    adapter_state = 4 * adapters * 4 / GB  # weights, gradients, AdamW m and v (the driver holds m, v)
    # one sequence of T tokens, layer by layer: every layer's input (F32) + one layer's graph + the
    # logits of one vocabulary slice pass (F32, 3 copies: logits, softmax, gradient)
    act = (layers * h * T * 4 + layer_graph * T * 4 + 3 * vocab * T * 4) / GB
    per_gpu = weights + 2 * adapters * 4 / GB + act
    fits = {g: ("yes" if per_gpu <= 0.9 * mem else f"no: {int(-(-per_gpu // (0.9 * mem)))} GPUs")
            for g, mem in GPUS.items()}
    step_bytes = EXECUTORS * adapters * 4 * 2  # one F32 gradient result + one F32 broadcast each
    driver = (4 * adapters * 4 + EXECUTORS * adapters * 8) / GB  # state + the double sum + results
    return (name, params / 1e9, weights, adapters * 4 / 1e6, act, per_gpu, fits, step_bytes / 1e6,
            driver)


def main():
    print("| model | parameters | base F16 (GB/GPU) | adapters F32 (MB) | activations, one 512-token"
          " sequence (GB) | GPU total (GB) | A10G 24 GB | A100 80 GB | H100 80 GB |"
          " bytes per step, 4 executors (MB) | driver state (GB) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, shape in SHAPES.items():
        n, p, w, a, act, tot, fits, step, drv = row(name, shape)
        print(f"| {n} | {p:.2f} B | {w:.1f} | {a:.0f} | {act:.2f} | {tot:.1f} | "
              f"{fits['A10G 24 GB']} | {fits['A100 80 GB']} | {fits['H100 80 GB']} | {step:.0f} |"
              f" {drv:.2f} |")


if __name__ == "__main__":
    main()
