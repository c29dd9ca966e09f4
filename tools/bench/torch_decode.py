#!/usr/bin/python3
"""PyTorch reference for `d2o bench`'s batch-16 decoding target (issue 19).

A GPT-2-124M-shaped decoder (12 layers, 768 wide, 12 heads, vocabulary 50257, tied head) in plain
torch with random F32 weights and a preallocated key/value cache, so the project's generator can be
compared with what PyTorch itself reaches on the same CPU. No transformers, no downloads.

For each batch it times whole calls (prompt pass + greedy decoding of the new tokens) and reports
generated tokens/s (rows x new tokens / call seconds, as `d2o bench` counts them) and ms per
decoding step; then it times the step's matrix products alone (each layer's q/k/v, attention
output, MLP up and down projections, and the head) on the batch's rows. Wall time and this
process's CPU time (time.process_time, all threads) are both printed: under load, the CPU time of a
one-thread run is the figure that load does not inflate.

Debian's python3-torch links the reference BLAS (libblas3: BLAS_INFO=generic in
torch.__config__.show()), which runs these products several times slower than an optimized BLAS.
With OpenBLAS (`apt-get install libopenblas0-pthread` switches libblas.so.3 to it; or unpack that
package and put its openblas-pthread directory on LD_LIBRARY_PATH) set OPENBLAS_NUM_THREADS to
the same count as --threads: OpenBLAS's pthreads do not follow torch.set_num_threads.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/bench/torch_decode.py --threads 1
    OPENBLAS_NUM_THREADS=2 nice -n 10 /usr/bin/python3 tools/bench/torch_decode.py --threads 2
"""

import argparse
import math
import os
import time

import torch

LAYERS, WIDTH, HEADS, VOCAB, CONTEXT = 12, 768, 12, 50257, 1024


class Decoder:
    """GPT-2 blocks (pre-norm, GELU tanh) with a fixed (B, H, T, D) cache per layer."""

    def __init__(self, seed):
        g = torch.Generator().manual_seed(seed)

        def w(*shape):
            return torch.randn(*shape, generator=g) * 0.02

        self.wte, self.wpe = w(VOCAB, WIDTH), w(CONTEXT, WIDTH)
        self.layers = []
        for _ in range(LAYERS):
            self.layers.append(
                {
                    "ln1": (torch.ones(WIDTH), torch.zeros(WIDTH)),
                    "qkv": (w(3 * WIDTH, WIDTH), torch.zeros(3 * WIDTH)),
                    "out": (w(WIDTH, WIDTH), torch.zeros(WIDTH)),
                    "ln2": (torch.ones(WIDTH), torch.zeros(WIDTH)),
                    "up": (w(4 * WIDTH, WIDTH), torch.zeros(4 * WIDTH)),
                    "down": (w(WIDTH, 4 * WIDTH), torch.zeros(WIDTH)),
                }
            )
        self.lnf = (torch.ones(WIDTH), torch.zeros(WIDTH))

    def new_cache(self, batch, slots):
        d = WIDTH // HEADS
        return [
            (torch.zeros(batch, HEADS, slots, d), torch.zeros(batch, HEADS, slots, d))
            for _ in range(LAYERS)
        ]

    def forward(self, ids, start, cache):
        """Logits of the last position; writes positions [start, start + T) into the cache."""
        b, t = ids.shape
        d = WIDTH // HEADS
        end = start + t
        x = self.wte[ids] + self.wpe[start:end]  # (B, T, C)
        causal = None
        if t > 1:  # the prompt pass: position i sees slots <= start + i
            causal = torch.ones(t, end, dtype=torch.bool).tril(start)
        for layer, (kc, vc) in zip(self.layers, cache):
            h = torch.nn.functional.layer_norm(x, (WIDTH,), *layer["ln1"])
            qkv = torch.nn.functional.linear(h, *layer["qkv"])  # (B, T, 3C)
            q, k, v = qkv.view(b, t, 3, HEADS, d).permute(2, 0, 3, 1, 4)  # each (B, H, T, D)
            kc[:, :, start:end] = k
            vc[:, :, start:end] = v
            scores = q @ kc[:, :, :end].transpose(-1, -2) / math.sqrt(d)  # (B, H, T, end)
            if causal is not None:
                scores = scores.masked_fill(~causal, float("-inf"))
            a = torch.softmax(scores, -1) @ vc[:, :, :end]  # (B, H, T, D)
            a = a.transpose(1, 2).reshape(b, t, WIDTH)
            x = x + torch.nn.functional.linear(a, *layer["out"])
            h = torch.nn.functional.layer_norm(x, (WIDTH,), *layer["ln2"])
            h = torch.nn.functional.gelu(torch.nn.functional.linear(h, *layer["up"]), approximate="tanh")
            x = x + torch.nn.functional.linear(h, *layer["down"])
        x = torch.nn.functional.layer_norm(x[:, -1], (WIDTH,), *self.lnf)  # (B, C)
        return x @ self.wte.t()  # (B, V), the tied head

    def generate(self, prompts, new_tokens):
        """Greedy decoding; returns the (B, new_tokens) ids."""
        b, p = prompts.shape
        cache = self.new_cache(b, p + new_tokens)
        out = torch.empty(b, new_tokens, dtype=torch.long)
        logits = self.forward(prompts, 0, cache)
        for i in range(new_tokens):
            out[:, i] = logits.argmax(-1)
            if i + 1 < new_tokens:
                logits = self.forward(out[:, i : i + 1], p + i, cache)
        return out

    def products(self, rows):
        """One decoding step's matrix products alone: each layer's four linears and the head."""
        x, h = torch.randn(rows, WIDTH), torch.randn(rows, 4 * WIDTH)
        for layer in self.layers:
            torch.nn.functional.linear(x, *layer["qkv"])
            torch.nn.functional.linear(x, *layer["out"])
            torch.nn.functional.linear(x, *layer["up"])
            torch.nn.functional.linear(h, *layer["down"])
        return x @ self.wte.t()


def timed(fn, reps):
    """(wall seconds, CPU seconds) of each of reps calls after one warm-up."""
    fn()
    out = []
    for _ in range(reps):
        w, c = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - w, time.process_time() - c))
    return out


def report_calls(batch, args, calls):
    tokens = batch * args.new_tokens
    wall, cpu = min(c[0] for c in calls), min(c[1] for c in calls)
    print(
        f"batch {batch:2d}: best of {args.reps} calls {wall:.2f} s wall ({tokens / wall:.1f} tokens/s,"
        f" {1000 * wall / args.new_tokens:.1f} ms/step), {cpu:.2f} s CPU"
        f" ({tokens / cpu:.1f} tokens/s of CPU, {1000 * cpu / args.new_tokens:.1f} ms CPU/step);"
        f" all wall: {', '.join(f'{c[0]:.2f}' for c in calls)}"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--prompt", type=int, default=16)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--products-only", action="store_true", help="skip the whole calls")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    load = os.getloadavg()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), F32, GPT-2-124M shape, "
        f"prompt {args.prompt} + {args.new_tokens} new tokens, greedy; "
        f"load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    model = Decoder(seed=1)
    with torch.inference_mode():
        for batch in (int(b) for b in args.batches.split(",")):
            prompts = torch.randint(0, VOCAB, (batch, args.prompt), generator=torch.Generator().manual_seed(2))
            if not args.products_only:
                calls = timed(lambda: model.generate(prompts, args.new_tokens), args.reps)
                report_calls(batch, args, calls)
            prods = timed(lambda: model.products(batch), 10)
            pw, pc = min(p[0] for p in prods), min(p[1] for p in prods)
            print(
                f"batch {batch:2d}: the step's products alone (12 x 4 linears + head on {batch} rows):"
                f" {1000 * pw:.1f} ms wall, {1000 * pc:.1f} ms CPU (best of 10)"
            )
    load = os.getloadavg()
    print(f"load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
