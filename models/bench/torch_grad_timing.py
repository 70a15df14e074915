"""PyTorch baseline timings for the .NET benchmark ratios.

For each model and batch size: median µs per call of
  forward:  torch.no_grad() model(*inputs)
  grad:     log_density (same convention as models/README.md, float32) + backward w.r.t. all
            parameters (grads zeroed with set_to_none each call)
after warm-up, with torch.set_num_threads(T), on this thread's CPU time (--clock cpu, the default, as the .NET
gradient-ratio benchmark) or wall time (--clock wall).  Weights are read from the committed ONNX files, so the
numbers refer to the same networks the .NET code evaluates.

  /usr/bin/python3 models/bench/torch_grad_timing.py --threads 1 2 --out models/bench/torch_timing.json
  (the .NET benchmark runs it itself, case by case, with: gradient-ratio --torch-run)
  /usr/bin/python3 models/bench/torch_grad_timing.py --models gpt --gpt-layers 4 --gpt-width 128 \
        --gpt-heads 4 --gpt-context 64 --gpt-vocab 64 --batches 1 8
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(MODELS, "export"))
from common import fan_in, load_npz, load_onnx_weights, log_likelihood_terms  # noqa: E402
from nets import GPT, BostonMLP, DigitsCNN, EncoderClassifier, OpsZoo  # noqa: E402


def boston_case(B):
    d = load_npz(os.path.join(MODELS, "data", "boston", "train.npz"))
    m = BostonMLP()
    load_onnx_weights(m, os.path.join(MODELS, "boston_mlp.onnx"))
    idx = np.arange(B) % len(d["target"])
    return m, [torch.from_numpy(d["x"][idx])], torch.from_numpy(d["target"][idx]), "gaussian:0.5", "gaussian:1.0", 455


def digits_case(B):
    d = load_npz(os.path.join(MODELS, "data", "digits", "train.npz"))
    m = DigitsCNN()
    load_onnx_weights(m, os.path.join(MODELS, "digits_cnn.onnx"))
    idx = np.arange(B) % len(d["target"])
    return m, [torch.from_numpy(d["x"][idx])], torch.from_numpy(d["target"][idx]), "categorical", \
        "gaussian-fanin:1.0", len(d["target"])


def ops_zoo_case(B):
    d = load_npz(os.path.join(MODELS, "data", "ops_zoo", "train.npz"))
    m = OpsZoo()
    load_onnx_weights(m, os.path.join(MODELS, "ops_zoo.onnx"))
    idx = np.arange(B) % len(d["target"])
    return m, [torch.from_numpy(d["x"][idx]), torch.from_numpy(d["aux"][idx])], \
        torch.from_numpy(d["target"][idx]), "categorical", "gaussian:1.0", len(d["target"])


def encoder_case(B):
    d = load_npz(os.path.join(MODELS, "data", "text", "next_char_train.npz"))
    m = EncoderClassifier()
    load_onnx_weights(m, os.path.join(MODELS, "transformer_encoder.onnx"))
    idx = np.arange(B) % len(d["target"])
    return m, [torch.from_numpy(d["input_ids"][idx])], torch.from_numpy(d["target"][idx]), "categorical", \
        "gaussian:1.0", len(d["target"])


def gpt_case_factory(a):
    cfg = dict(layers=a.gpt_layers, width=a.gpt_width, heads=a.gpt_heads, context=a.gpt_context, vocab=a.gpt_vocab)
    tiny = cfg == dict(layers=2, width=32, heads=2, context=16, vocab=64)

    def case(B):
        torch.manual_seed(0)
        m = GPT(**cfg)
        if tiny:
            load_onnx_weights(m, os.path.join(MODELS, "gpt_tiny.onnx"))
        g = torch.Generator().manual_seed(B)
        T = cfg["context"]
        ids = torch.randint(0, cfg["vocab"], (B, T + 1), generator=g)
        return m, [ids[:, :T].contiguous()], ids[:, 1:].contiguous(), "categorical", "none", B
    name = "gpt_tiny" if tiny else "gpt_L{layers}_W{width}_H{heads}_T{context}_V{vocab}".format(**cfg)
    return name, case


def log_density32(model, inputs, target, likelihood, prior, N):
    out = model(*inputs)
    ll = log_likelihood_terms(out, target, likelihood)
    lp = out.new_zeros(())
    if prior != "none":
        kind, s = prior.split(":")
        S = float(s)
        for p in model.parameters():
            if p.numel() > 1:
                sig = S if kind == "gaussian" else S / fan_in(tuple(p.shape)) ** 0.5
                lp = lp - 0.5 * (p / sig).pow(2).sum()  # constants do not change the timing
    return (N / out.shape[0]) * ll + lp


def time_calls(fn, warmup, reps, min_time, clock):
    """Median µs per call over samples of several calls each (≥ 2 ms per sample, so the clock's own cost and
    resolution do not matter). clock: time.thread_time_ns (CPU time of this thread: with one torch thread, forward
    and backward run on it, like ORT with one intra-op thread) or time.perf_counter_ns (wall)."""
    for _ in range(warmup):
        fn()
    t0 = clock()
    fn()
    per_sample = max(1, int(2e6 / max(1, clock() - t0)))
    samples = []
    t_end = time.perf_counter() + min_time
    while len(samples) < reps or time.perf_counter() < t_end:
        t0 = clock()
        for _ in range(per_sample):
            fn()
        samples.append((clock() - t0) / 1000.0 / per_sample)
        if len(samples) >= 50 * reps:
            break
    return statistics.median(samples), len(samples) * per_sample


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=["boston_mlp", "digits_cnn", "gpt"],
                   help="boston_mlp digits_cnn ops_zoo transformer_encoder gpt")
    p.add_argument("--batches", nargs="+", type=int, default=[1, 32, 256])
    p.add_argument("--threads", nargs="+", type=int, default=[1])
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--reps", type=int, default=21, help="minimum samples per measurement (each ≥ 2 ms of calls)")
    p.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                   help="cpu: this thread's CPU time (as the .NET benchmark's default); wall: elapsed time")
    p.add_argument("--min-time", type=float, default=0.5, help="minimum seconds per measurement")
    p.add_argument("--gpt-layers", type=int, default=2)
    p.add_argument("--gpt-width", type=int, default=32)
    p.add_argument("--gpt-heads", type=int, default=2)
    p.add_argument("--gpt-context", type=int, default=16)
    p.add_argument("--gpt-vocab", type=int, default=64)
    p.add_argument("--out", default=os.path.join(HERE, "torch_timing.json"))
    a = p.parse_args()

    cases = {"boston_mlp": boston_case, "digits_cnn": digits_case, "ops_zoo": ops_zoo_case,
             "transformer_encoder": encoder_case}
    gpt_name, gpt_case = gpt_case_factory(a)
    cases[gpt_name] = gpt_case
    names = [gpt_name if n == "gpt" else n for n in a.models]

    clock = time.thread_time_ns if a.clock == "cpu" else time.perf_counter_ns
    results = []
    for T in a.threads:
        torch.set_num_threads(T)
        for name in names:
            for B in a.batches:
                model, inputs, target, lik, prior, N = cases[name](B)
                model.eval()
                params = [q for q in model.parameters()]

                def fwd():
                    with torch.no_grad():
                        model(*inputs)

                def grad():
                    for q in params:
                        q.grad = None
                    log_density32(model, inputs, target, lik, prior, N).backward()

                f_us, f_n = time_calls(fwd, a.warmup, a.reps, a.min_time, clock)
                g_us, g_n = time_calls(grad, a.warmup, a.reps, a.min_time, clock)
                row = {"model": name, "batch": B, "threads": T, "likelihood": lik, "prior": prior,
                       "forward_us": round(f_us, 3), "forward_reps": f_n,
                       "grad_us": round(g_us, 3), "grad_reps": g_n,
                       "parameters": int(sum(q.numel() for q in params))}
                results.append(row)
                print(f"{name:28s} B={B:<4d} threads={T}  forward {f_us:10.1f} µs   "
                      f"log-density+grad {g_us:10.1f} µs")
    doc = {"tool": "models/bench/torch_grad_timing.py", "torch": torch.__version__,
           "python": platform.python_version(), "machine": platform.machine(),
           "processor": platform.processor(), "cpu_count": os.cpu_count(),
           "unit": "microseconds per call, median", "clock": a.clock, "dtype": "float32",
           "grad_definition": "log_density (N/B·Σ loglik + log prior, as models/README.md) and backward w.r.t. "
                              "every parameter; grads reset with set_to_none",
           "forward_definition": "model(*inputs) under torch.no_grad()",
           "results": results}
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
