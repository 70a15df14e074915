"""GPT-2-style causal LM export (tiny committed model, or any size on demand).

  python3 gpt.py                         # the committed models/gpt_tiny.onnx + references
  python3 gpt.py --layers 12 --width 768 --heads 12 --context 1024 --vocab 50257 \
                 --out /tmp/gpt_big/model.onnx --external-data       # untrained, weights as external data

Large models are never committed: write them outside models/ (or under models/generated/, which is
ignored by models/.gitignore).
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

import data
from common import MODELS, check_names_match, export_onnx, load_onnx_weights, make_reference, seed_all
from nets import GPT

TINY = dict(layers=2, width=32, heads=2, context=16, vocab=64)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--layers", type=int, default=TINY["layers"])
    p.add_argument("--width", type=int, default=TINY["width"])
    p.add_argument("--heads", type=int, default=TINY["heads"])
    p.add_argument("--context", type=int, default=TINY["context"])
    p.add_argument("--vocab", type=int, default=TINY["vocab"])
    p.add_argument("--out", default=None, help="output .onnx (default models/gpt_tiny.onnx for the tiny config)")
    p.add_argument("--external-data", action="store_true",
                   help="store weights as ONNX external data in OUT.data next to the model (relative location)")
    p.add_argument("--train-steps", type=int, default=None,
                   help="Adam steps on the text corpus (default 1500 for the tiny config, 0 otherwise)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--references", action="store_true",
                   help="write models/reference/gpt_tiny_* (default on for the tiny config)")
    return p.parse_args(argv)


def text_windows(ids, T):
    n = (len(ids) - 1) // (T + 1)
    w = ids[: n * (T + 1)].reshape(n, T + 1)
    return w[:, :T], w[:, 1:]


def main(argv=None):
    a = parse(argv)
    cfg = dict(layers=a.layers, width=a.width, heads=a.heads, context=a.context, vocab=a.vocab)
    tiny = cfg == TINY
    out = a.out or (os.path.join(MODELS, "gpt_tiny.onnx") if tiny else None)
    if out is None:
        sys.exit("--out is required for a non-default configuration")
    steps = a.train_steps if a.train_steps is not None else (1500 if tiny else 0)
    seed_all(a.seed)
    model = GPT(**cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"gpt {cfg}: {n_params} parameters")

    _, vocab, ids = data.load_text()
    if steps > 0:
        if a.vocab < len([v for v in vocab if not v.startswith("<unused")]):
            sys.exit("--vocab is smaller than the text's character set; use --train-steps 0")
        T = min(a.context, 16) if tiny else a.context
        inp, tgt = text_windows(ids, T)
        n_train = int(0.9 * len(inp))
        X, Y = torch.from_numpy(inp[:n_train]), torch.from_numpy(tgt[:n_train])
        Xt, Yt = torch.from_numpy(inp[n_train:]), torch.from_numpy(tgt[n_train:])
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        g = torch.Generator().manual_seed(a.seed)
        model.train()
        for step in range(steps):
            idx = torch.randint(0, len(X), (32,), generator=g)
            opt.zero_grad()
            logits = model(X[idx])
            F.cross_entropy(logits.reshape(-1, a.vocab), Y[idx].reshape(-1)).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            tr = F.cross_entropy(model(X).reshape(-1, a.vocab), Y.reshape(-1)).item()
            te = F.cross_entropy(model(Xt).reshape(-1, a.vocab), Yt.reshape(-1)).item()
        print(f"gpt: cross-entropy nats/char train {tr:.4f} test {te:.4f} after {steps} steps")
    else:
        tr = te = None
    model.eval()
    example = torch.zeros(2, min(a.context, 16), dtype=torch.long)
    m = export_onnx(model, [example], out, ["input_ids"], ["logits"],
                    {"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}},
                    external_data=a.external_data)
    if not a.external_data:
        check_names_match(m, model)
        fresh = GPT(**cfg).eval()
        load_onnx_weights(fresh, out)
        with torch.no_grad():
            assert torch.equal(fresh(example + 3), model(example + 3))
    print(f"wrote {out} ({os.path.getsize(out)} bytes"
          + (f", external data {os.path.getsize(out + '.data')} bytes)" if a.external_data else ")"))

    if tiny and (a.references or a.out is None):
        text = data.make_text()
        xtr, ytr = text["train"]
        make_reference("gpt_tiny_categorical_noprior_full4", model, out, ["input_ids"], ["logits"],
                       [xtr[:4]], ytr[:4], "categorical", "none", 4,
                       "first 4 sequences (B = 4, T = 16) of models/data/text/train.npz as the full data set; "
                       "loglik_i sums over the 16 positions")
        masked = ytr[4:8].copy()
        masked[:, :3] = -100        # first three positions of every row ignored
        masked[1, 8:] = -100        # and the second half of row 1
        make_reference("gpt_tiny_categorical_masked_prior1.0", model, out, ["input_ids"], ["logits"],
                       [xtr[4:8]], masked, "categorical", "gaussian:1.0", len(xtr),
                       "sequences 4..7 of models/data/text/train.npz with some targets set to -100 (skipped); "
                       "N = number of training sequences, B = 4 sequences")
    return {"config": cfg, "parameters": n_params, "train_nats_per_char": tr, "test_nats_per_char": te,
            "train_steps": steps}


if __name__ == "__main__":
    main()
