"""Regenerate everything under models/ deterministically (data sets, .onnx models, references).

  /usr/bin/python3 models/export/export_all.py

Writes models/manifest.json: every model's inputs, outputs, parameters (ONNX initializer names and
shapes), excluded initializers, op types, sha256, and training metrics; every reference case.
"""
import glob
import json
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402

import classic  # noqa: E402
import data  # noqa: E402
import gpt  # noqa: E402
import transformer_encoder  # noqa: E402
from common import MODELS, REFERENCE, describe_model, rel, sha256  # noqa: E402


def main():
    for f in glob.glob(os.path.join(REFERENCE, "*")):
        os.remove(f)
    metrics = {}
    data.make_boston()
    data.make_digits()
    data.make_text()
    metrics["boston_mlp"] = classic.boston()
    metrics["digits_cnn"] = classic.digits()
    metrics["ops_zoo"] = classic.ops_zoo()
    metrics["gpt_tiny"] = gpt.main([])
    metrics["transformer_encoder"] = transformer_encoder.main()

    models = {}
    for name in ["boston_mlp", "digits_cnn", "ops_zoo", "gpt_tiny", "transformer_encoder"]:
        d = describe_model(os.path.join(MODELS, name + ".onnx"))
        d["training"] = metrics[name]
        models[name] = d
    cases = []
    for j in sorted(glob.glob(os.path.join(REFERENCE, "*.json"))):
        with open(j) as f:
            meta = json.load(f)
        cases.append({k: meta[k] for k in ("name", "model", "likelihood", "prior", "N", "B", "log_density")}
                     | {"npz": rel(j[:-5] + ".npz"), "json": rel(j)})
    datasets = {rel(p): {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in np.load(p).items()}
                for p in sorted(glob.glob(os.path.join(MODELS, "data", "*", "*.npz")))}
    manifest = {"generated_by": "models/export/export_all.py", "torch": torch.__version__,
                "onnx": onnx.__version__, "numpy": np.__version__, "opset": 17,
                "models": models, "reference_cases": cases, "datasets": datasets}
    with open(os.path.join(MODELS, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("wrote", rel(os.path.join(MODELS, "manifest.json")))


if __name__ == "__main__":
    main()
