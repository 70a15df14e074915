"""UCI boston housing, 13 -> 50 ReLU -> 1, over the 5 committed 90/10 splits (dev time, not CI).

Protocol of Hernandez-Lobato & Adams (2015): X and y normalised with the training split's mean and std;
test log-likelihood per point and RMSE reported in the ORIGINAL MEDV units, mean +- standard error over splits.

Per split:
  1. torch trains the MAP network (full-batch Adam on the same log posterior the samplers see: gaussian
     likelihood with learned log sigma, prior gaussian-fanin:1 on the sampled tensors) and exports it to
     models/experiments/boston/split-K.onnx (3 KB) -- the samplers' starting point and the MAP baseline;
  2. the REAL tool: `onnxray sample` (ray tracing, HMC), `onnxray diagnose`, `onnxray predict` on the test split;
  3. the CLI's test NLL is checked against an independent numpy/torch evaluation of the posterior predictive
     mixture (1/M) sum_m N(y; mu_m(x), sigma_m^2) over the same draws, learned sigma_m included.

Usage (build the CLI once into your own artifacts folder):
  dotnet build src/OnnxRay.Cli -c Release --artifacts-path /tmp/art-realdata
  /usr/bin/python3 models/experiments/uci_boston.py --onnxray /tmp/art-realdata/bin/OnnxRay.Cli/release/onnxray
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
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(MODELS, "export"))
from common import export_onnx, fan_in, seed_all  # noqa: E402
from nets import BostonMLP  # noqa: E402

PRIOR_SCALE = 1.0
PUBLISHED = {  # Hernandez-Lobato & Adams 2015 (PBP), Gal & Ghahramani 2016 (MC dropout): boston, 20 splits
    "MC dropout (Gal & Ghahramani 2016)": {"test_ll": (-2.40, 0.04), "rmse": (2.97, 0.19)},
    "PBP (Hernandez-Lobato & Adams 2015)": {"test_ll": (-2.57, 0.09), "rmse": (3.01, 0.18)},
}


def load_split(k):
    raw = np.genfromtxt(os.path.join(MODELS, "data", "boston", "boston_raw.csv"), delimiter=",", skip_header=1)
    with open(os.path.join(MODELS, "data", "boston", "splits", f"split-{k}.json")) as f:
        split = json.load(f)
    X, y = raw[:, :-1], raw[:, -1]
    tr, te = np.array(split["train"]), np.array(split["test"])
    xm, xs = X[tr].mean(0), X[tr].std(0)
    xs[xs == 0] = 1.0
    ym, ys = y[tr].mean(), y[tr].std()
    norm = lambda a: ((X[a] - xm) / xs).astype(np.float32)
    return dict(x_train=norm(tr), y_train=((y[tr] - ym) / ys).astype(np.float32),
                x_test=norm(te), y_test=((y[te] - ym) / ys).astype(np.float32),
                y_test_raw=y[te], y_mean=float(ym), y_std=float(ys))


def log_prior(model):
    """gaussian-fanin:S on the tensors OnnxRay samples (fc2.bias has 1 element, so it is held fixed, no prior)."""
    total = 0.0
    for name, p in model.named_parameters():
        if p.numel() <= 1:
            continue
        s = PRIOR_SCALE / math.sqrt(fan_in(tuple(p.shape)))
        total = total - 0.5 * (p / s).pow(2).sum() - p.numel() * (math.log(s) + 0.5 * math.log(2 * math.pi))
    return total


def train_map(d, steps):
    seed_all(0)
    model = BostonMLP()
    log_sigma = torch.zeros((), requires_grad=True)
    X, Y = torch.from_numpy(d["x_train"]), torch.from_numpy(d["y_train"])
    opt = torch.optim.Adam(list(model.parameters()) + [log_sigma], lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        r = (model(X).reshape(-1) - Y) / log_sigma.exp()
        loglik = (-0.5 * r.pow(2) - log_sigma - 0.5 * math.log(2 * math.pi)).sum()
        (-(loglik + log_prior(model))).backward()
        opt.step()
    return model.eval(), float(log_sigma.detach())


def gaussian_ll(y, mu, sigma):
    return -0.5 * ((y - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * math.log(2 * math.pi)


def load_draws(run):
    """All stored draws of all chains, float32 [M, D], chains in order (as predict uses them)."""
    chains = sorted(glob.glob(os.path.join(run, "chain-*")), key=lambda p: int(p.rsplit("-", 1)[1]))
    return np.concatenate([np.load(f) for c in chains for f in sorted(glob.glob(os.path.join(c, "draws-*.npy")))])


def mixture_ll_independent(run, d):
    """Posterior predictive log density per test point, computed here from the draws (torch forward, numpy mixture)."""
    with open(os.path.join(run, "manifest.json")) as f:
        layout = {p["name"]: p for p in json.load(f)["parameters"]}
    theta = load_draws(run).astype(np.float64)
    model = BostonMLP().double().eval()
    onnx_weights = onnx_initializers(d["onnx"])
    x = torch.from_numpy(d["x_test"].astype(np.float64))
    lls = []
    for t in theta:
        state = {}
        for name, p in model.named_parameters():
            if name in layout:
                e = layout[name]
                state[name] = torch.from_numpy(t[e["offset"]:e["offset"] + p.numel()].reshape(p.shape))
            else:
                state[name] = torch.from_numpy(onnx_weights[name].astype(np.float64))
        model.load_state_dict(state)
        with torch.no_grad():
            mu = model(x).reshape(-1).numpy()
        sigma = math.exp(t[layout["log_sigma"]["offset"]])
        lls.append(gaussian_ll(d["y_test"].astype(np.float64), mu, sigma))
    lls = np.array(lls)  # [M, N]
    m = lls.max(0)
    return m + np.log(np.exp(lls - m).mean(0))


def onnx_initializers(path):
    import onnx
    import onnx.numpy_helper
    return {i.name: onnx.numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}


def run_cli(cmd, log):
    t0 = time.time()
    c0 = os.times()
    with open(log, "a") as f:
        f.write("$ " + " ".join(shlex.quote(a) for a in cmd) + "\n")
        f.flush()
        subprocess.run(cmd, check=True, stdout=f, stderr=subprocess.STDOUT)
    c1 = os.times()
    return time.time() - t0, (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)


def summarise_stats(run):
    grads, accepted, divergent, steps, n = 0, 0, 0, 0, 0
    for path in glob.glob(os.path.join(run, "chain-*", "stats.csv")):
        a = np.genfromtxt(path, delimiter=",", names=True)
        grads += int(a["gradient_evaluations"].sum())
        accepted += int(a["accepted"].sum())
        divergent += int(a["divergent"].sum())
        steps += float(a["integration_steps"].sum())
        n += a.shape[0]
    return dict(stored_draws=n, acceptance=accepted / n, divergent=divergent, mean_integration_steps=steps / n,
                gradient_evaluations_sampling_phase=grads)


def rhat_logp(run):
    with open(os.path.join(run, "diagnostics.json")) as f:
        diag = json.load(f)
    q = {x["name"]: x for x in diag["quantities"]}
    lp = next(v for k, v in q.items() if k.replace(" ", "").lower() in ("logp", "log_p"))
    worst = lambda prefix: max((v["rhat"] for k, v in q.items() if k.startswith(prefix)), default=None)
    return dict(rhat_log_p=lp["rhat"], ess_bulk_log_p=lp["ess_bulk"], max_rhat_outputs=worst("out"),
                max_rhat_projections=worst("proj"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnxray", required=True, help="the built CLI (apphost or 'dotnet path/onnxray.dll')")
    ap.add_argument("--work", default="/tmp/onnxray-uci-boston", help="scratch folder for data and run folders")
    ap.add_argument("--splits", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    ap.add_argument("--samplers", nargs="*", default=["raytracing", "hmc"])
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--draws", type=int, default=300)
    ap.add_argument("--steps", type=int, default=32, help="trajectory cap (ray tracing max-steps) / HMC leapfrog steps")
    ap.add_argument("--map-steps", type=int, default=3000)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "uci-boston.json"))
    args = ap.parse_args()
    cli = shlex.split(args.onnxray)
    os.makedirs(args.work, exist_ok=True)
    sampler_options = {
        "raytracing": ["--sampler-option", f"max-steps={args.steps}"],
        "hmc": ["--sampler-option", f"steps={args.steps}"],
    }

    results = {"settings": vars(args) | {"prior": f"gaussian-fanin:{PRIOR_SCALE:g}", "likelihood": "gaussian (learned noise)",
                                          "sampler_options": {s: sampler_options[s] for s in args.samplers}},
               "host": {"cpus": os.cpu_count(), "platform": platform.platform()}, "splits": []}
    for k in args.splits:
        d = load_split(k)
        folder = os.path.join(args.work, f"split-{k}")
        os.makedirs(folder, exist_ok=True)
        log = os.path.join(folder, "cli.log")
        for part in ("train", "test"):
            np.savez(os.path.join(folder, f"{part}.npz"), x=d[f"x_{part}"], target=d[f"y_{part}"])
        t0 = time.time()
        model, log_sigma = train_map(d, args.map_steps)
        onnx_path = os.path.join(HERE, "boston", f"split-{k}.onnx")
        export_onnx(model, [torch.from_numpy(d["x_train"][:2])], onnx_path, ["x"], ["y"], {"x": {0: "batch"}, "y": {0: "batch"}})
        d["onnx"] = onnx_path
        with torch.no_grad():
            mu = model(torch.from_numpy(d["x_test"])).reshape(-1).numpy().astype(np.float64)
        sigma = math.exp(log_sigma)
        row = {"split": k, "y_std": d["y_std"], "map": {
            "train_seconds": time.time() - t0, "sigma_standardised": sigma,
            "test_ll": float(gaussian_ll(d["y_test"], mu, sigma).mean() - math.log(d["y_std"])),
            "rmse": float(np.sqrt(np.mean((d["y_mean"] + d["y_std"] * mu - d["y_test_raw"]) ** 2)))}}
        print(f"split {k}: MAP test LL {row['map']['test_ll']:.3f} RMSE {row['map']['rmse']:.3f}", flush=True)
        for sampler in args.samplers:
            run = os.path.join(folder, sampler)
            if os.path.exists(run):
                subprocess.run(["rm", "-rf", run], check=True)
            sample = cli + ["sample", onnx_path, "--data", os.path.join(folder, "train.npz"), "--likelihood", "gaussian",
                            "--prior", f"gaussian-fanin:{PRIOR_SCALE:g}", "--sampler", sampler, *sampler_options[sampler],
                            "--chains", str(args.chains), "--warmup", str(args.warmup), "--draws", str(args.draws),
                            "--seed", str(k + 1), "--out", run]
            wall, cpu = run_cli(sample, log)
            pred = os.path.join(folder, f"{sampler}-pred.npz")
            run_cli(cli + ["diagnose", run, "--projections", "4", "--probe-examples", "4"], log)
            pwall, _ = run_cli(cli + ["predict", run, "--data", os.path.join(folder, "test.npz"), "--out", pred], log)
            with open(os.path.splitext(pred)[0] + ".metrics.json") as f:
                metrics = json.load(f)
            lpd = mixture_ll_independent(run, d)
            entry = {"sample_wall_seconds": wall, "sample_cpu_seconds": cpu, "predict_wall_seconds": pwall,
                     "cli_nll_standardised": metrics["nll"], "independent_nll_standardised": float(-lpd.mean()),
                     "test_ll": -metrics["nll"] - math.log(d["y_std"]), "rmse": metrics["rmse"] * d["y_std"],
                     "command": " ".join(shlex.quote(a) for a in sample[len(cli):])}
            entry |= summarise_stats(run) | rhat_logp(run)
            if abs(entry["cli_nll_standardised"] - entry["independent_nll_standardised"]) > 1e-3:
                raise SystemExit(f"split {k} {sampler}: predict's NLL {metrics['nll']} differs from the mixture "
                                 f"computed from the draws {-lpd.mean()}")
            row[sampler] = entry
            print(f"split {k}: {sampler} test LL {entry['test_ll']:.3f} RMSE {entry['rmse']:.3f} "
                  f"(sample {wall:.0f} s wall, {cpu:.0f} s CPU; R-hat log p {entry['rhat_log_p']:.3f})", flush=True)
        results["splits"].append(row)
        write(results, args.out)
    write(results, args.out)


def mean_se(values):
    v = np.array(values, dtype=np.float64)
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else float("nan")


def write(results, out):
    methods = ["map"] + [s for s in ("raytracing", "hmc") if all(s in r for r in results["splits"])]
    results["summary"] = {m: {key: mean_se([r[m][key] for r in results["splits"]]) for key in ("test_ll", "rmse")}
                          for m in methods}
    results["published"] = PUBLISHED
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
