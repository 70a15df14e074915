#!/usr/bin/env python3
"""Dev-time generator of reference numbers for OnnxRay's diagnostics tests.

Writes tests/OnnxRay.Sampling.Tests/Diagnostics/reference/diagnostics_reference.json holding synthetic chains
and the values computed by the reference implementations:
  * R package `posterior` 1.4.0 (Debian r-cran-posterior): rhat, rhat_basic, ess_bulk, ess_tail, ess_basic,
    ess_quantile(0.05/0.95), mcse_mean -- called directly through Rscript (posterior_reference.R);
  * emcee 3.1.4 autocorr.integrated_time (c = 5) with the chains as walkers.
and normal_reference.json with Φ and Φ⁻¹ from mpmath at 40 digits.

Run:  /usr/bin/python3 models/diagnostics-reference/diagnostics_reference.py   (needs numpy, emcee, mpmath, Rscript)
The .NET tests only read the JSON files.
"""
import json
import os
import subprocess
import tempfile

import numpy as np
import emcee
import mpmath

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "tests", "OnnxRay.Sampling.Tests", "Diagnostics", "reference")


def ar1(rng, chains, draws, phi, shift=None):
    """Stationary AR(1) with unit marginal variance; τ = (1 + φ)/(1 − φ)."""
    x = np.empty((chains, draws))
    innovation_sd = np.sqrt(1 - phi * phi)
    x[:, 0] = rng.standard_normal(chains)
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + innovation_sd * rng.standard_normal(chains)
    if shift is not None:
        x += np.asarray(shift)[:, None]
    return x


def cases():
    rng = np.random.default_rng(20240611)
    return {
        "ar1_phi09": ar1(rng, 4, 1000, 0.9),
        "ar1_phi05_odd": ar1(rng, 4, 501, 0.5),
        "shifted_means": ar1(rng, 4, 500, 0.3, shift=[0.0, 0.0, 0.0, 1.0]),
        "heavy_tails": rng.standard_t(1.5, size=(4, 800)),
        "antithetic": ar1(rng, 2, 1000, -0.6),
        "ties_poisson": rng.poisson(2.0, size=(4, 300)).astype(float),
        "single_chain": ar1(rng, 1, 2000, 0.8),
        "short": ar1(rng, 4, 40, 0.4),
        "iid_scaled": 1e-3 * rng.standard_normal((3, 257)) + 5.0,
    }


def posterior_values(all_cases):
    with tempfile.TemporaryDirectory() as tmp:
        for name, x in all_cases.items():
            # R reads columns as chains
            np.savetxt(os.path.join(tmp, name + ".csv"), x.T, delimiter=",", fmt="%.17g")
        out = subprocess.run(["Rscript", os.path.join(HERE, "posterior_reference.R"), tmp, *all_cases],
                             check=True, capture_output=True, text=True).stdout
    lines = out.strip().splitlines()
    header = lines[0].split(",")
    result = {}
    for line in lines[1:]:
        parts = line.split(",")
        result[parts[0]] = {k: (None if v == "NA" else float(v)) for k, v in zip(header[1:], parts[1:])}
    return result


def emcee_tau(x):
    # emcee wants (steps, walkers, dims)
    return float(emcee.autocorr.integrated_time(x.T[:, :, None], c=5, tol=0, quiet=True)[0])


def main():
    os.makedirs(OUT, exist_ok=True)
    all_cases = cases()
    post = posterior_values(all_cases)
    doc = {
        "generator": "models/diagnostics-reference/diagnostics_reference.py",
        "posterior_version": subprocess.run(["Rscript", "-e", "cat(as.character(packageVersion('posterior')))"],
                                            check=True, capture_output=True, text=True).stdout.strip(),
        "emcee_version": emcee.__version__,
        "cases": [],
    }
    for name, x in all_cases.items():
        entry = {"name": name, "chains": x.tolist()}
        entry.update(post[name])
        entry["emcee_tau"] = emcee_tau(x)
        doc["cases"].append(entry)
    with open(os.path.join(OUT, "diagnostics_reference.json"), "w") as f:
        json.dump(doc, f)

    mpmath.mp.dps = 40
    xs = [-38.0, -30.0, -20.0, -12.5, -8.5, -8.0, -7.3, -5.0, -3.7, -2.5, -1.96, -1.0, -0.5, -1e-3, 0.0, 0.3,
          0.7, 1.5, 2.2, 3.0, 4.4, 6.6, 9.0]
    ps = [1e-300, 1e-100, 1e-20, 1e-10, 1e-6, 1.234e-4, 0.01, 0.02425, 0.05, 0.075, 0.1, 0.25, 0.4, 0.5, 0.6,
          0.925, 0.95, 0.99, 0.999999]
    cdf = [{"x": x, "value": float(mpmath.ncdf(x))} for x in xs]
    mpmath.mp.dps = 400  # 2p − 1 must keep p = 1e-300
    inverse = [{"p": p, "value": float(mpmath.sqrt(2) * mpmath.erfinv(2 * mpmath.mpf(p) - 1))} for p in ps]
    normal = {"cdf": cdf, "inverse_cdf": inverse}
    with open(os.path.join(OUT, "normal_reference.json"), "w") as f:
        json.dump(normal, f, indent=1)
    for name in all_cases:
        print(name, post[name], "tau", emcee_tau(all_cases[name]))


if __name__ == "__main__":
    main()
