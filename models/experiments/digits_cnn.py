"""Digits CNN: posterior predictive of models/digits_cnn.onnx vs the single trained network (dev time, not CI).

The single network's probabilities come from torch with the committed ONNX weights; the posterior's from the REAL
tool (`onnxray sample`, `diagnose`, `predict` on models/data/digits/test.npz). Both are scored by the same
functions here (accuracy, NLL, ECE with 15 equal-width right-closed bins, Brier summed over classes), which are
first checked against the metrics `onnxray predict` reports for the posterior, and the CLI's mean probabilities
are checked against the mean of the per-draw softmax computed here from the stored draws.

Usage:
  /usr/bin/python3 models/experiments/digits_cnn.py --onnxray /tmp/art-realdata/bin/OnnxRay.Cli/release/onnxray
"""
import argparse
import glob
import json
import math
import os
import platform
import shlex
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(MODELS, "export"))
sys.path.insert(0, HERE)
from common import load_onnx_weights  # noqa: E402
from nets import DigitsCNN  # noqa: E402
from uci_boston import load_draws, run_cli, summarise_stats, rhat_logp  # noqa: E402

MODEL = os.path.join(MODELS, "digits_cnn.onnx")
DATA = os.path.join(MODELS, "data", "digits")


def scores(p, y, bins=15):
    """accuracy, NLL, ECE (equal-width right-closed confidence bins), Brier (sum over classes, mean over examples)."""
    conf, pred = p.max(1), p.argmax(1)
    correct = (pred == y).astype(np.float64)
    b = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    ece = sum(abs(correct[b == k].mean() - conf[b == k].mean()) * (b == k).mean() for k in range(bins) if (b == k).any())
    onehot = np.eye(p.shape[1])[y]
    return dict(accuracy=float(correct.mean()), nll=float(-np.log(p[np.arange(len(y)), y]).mean()),
                ece=float(ece), brier=float(((p - onehot) ** 2).sum(1).mean()))


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnxray", required=True)
    ap.add_argument("--work", default="/tmp/onnxray-digits")
    ap.add_argument("--samplers", nargs="*", default=["raytracing"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--steps", type=int, default=None,
                    help="trajectory cap (ray tracing max-steps) / HMC leapfrog steps (default: the sampler's own)")
    ap.add_argument("--batch-size", type=int, default=128, help="minibatch size (0 = full batch)")
    ap.add_argument("--prior", default="gaussian-fanin:1")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "digits-cnn.json"))
    args = ap.parse_args()
    cli = shlex.split(args.onnxray)
    os.makedirs(args.work, exist_ok=True)
    with np.load(os.path.join(DATA, "test.npz")) as z:
        x_test, y_test = z["x"], z["target"].astype(int)

    net = DigitsCNN().double().eval()
    load_onnx_weights(net, MODEL)
    with torch.no_grad():
        p_single = softmax(net(torch.from_numpy(x_test.astype(np.float64))).numpy())
    results = {}
    if os.path.exists(args.out):  # runs with other settings accumulate in one file, keyed by sampler and batch
        with open(args.out) as f:
            results = json.load(f)
    results |= {"host": {"cpus": os.cpu_count(), "platform": platform.platform()},
                "test_examples": int(len(y_test)), "single_network": scores(p_single, y_test)}
    print("single network", results["single_network"], flush=True)

    options = {"raytracing": ["--sampler-option", f"max-steps={args.steps}"], "hmc": ["--sampler-option", f"steps={args.steps}"]}
    options = options if args.steps else {s: [] for s in options}
    for sampler in args.samplers:
        key = f"{sampler}-" + (f"minibatch{args.batch_size}" if args.batch_size else "fullbatch")
        run = os.path.join(args.work, key)
        subprocess.run(["rm", "-rf", run], check=True)
        log = os.path.join(args.work, "cli.log")
        sample = cli + ["sample", MODEL, "--data", os.path.join(DATA, "train.npz"), "--likelihood", "categorical",
                        "--prior", args.prior, "--sampler", sampler, *options[sampler], "--chains", str(args.chains),
                        "--warmup", str(args.warmup), "--draws", str(args.draws), "--seed", str(args.seed), "--out", run,
                        *(["--batch-size", str(args.batch_size)] if args.batch_size else [])]
        wall, cpu = run_cli(sample, log)
        run_cli(cli + ["diagnose", run, "--projections", "4", "--probe-examples", "4"], log)
        pred = os.path.join(args.work, f"{key}-pred.npz")
        pwall, _ = run_cli(cli + ["predict", run, "--data", os.path.join(DATA, "test.npz"), "--out", pred], log)
        with open(os.path.splitext(pred)[0] + ".metrics.json") as f:
            metrics = json.load(f)
        with np.load(pred) as z:
            p_cli = z["probabilities"]

        # independent check: mean softmax over the stored draws, and our scoring vs the CLI's
        with open(os.path.join(run, "manifest.json")) as f:
            layout = {p["name"]: p for p in json.load(f)["parameters"]}
        theta = load_draws(run).astype(np.float64)
        x = torch.from_numpy(x_test.astype(np.float64))
        p_mean = np.zeros_like(p_single)
        for t in theta:
            state = {n: torch.from_numpy(t[layout[n]["offset"]:layout[n]["offset"] + p.numel()].reshape(p.shape))
                     for n, p in net.named_parameters()}
            net.load_state_dict(state)
            with torch.no_grad():
                p_mean += softmax(net(x).numpy())
        p_mean /= len(theta)
        ours = scores(p_cli, y_test)
        checks = {"max_abs_probability_difference": float(np.abs(p_mean - p_cli).max()),
                  "metric_differences": {k: abs(ours[k] - metrics[k]) for k in ours}}
        if checks["max_abs_probability_difference"] > 1e-4 or max(checks["metric_differences"].values()) > 1e-6:
            raise SystemExit(f"{sampler}: the CLI's predictive disagrees with the independent computation: {checks}")
        entry = dict(settings=vars(args) | {"samplers": [sampler]}, metrics=ours, sample_wall_seconds=wall, sample_cpu_seconds=cpu, predict_wall_seconds=pwall,
                     command=" ".join(shlex.quote(a) for a in sample[len(cli):]), checks=checks)
        entry |= summarise_stats(run) | rhat_logp(run)
        results[key] = entry
        print(key, entry, flush=True)
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
