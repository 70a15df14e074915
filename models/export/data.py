"""Data sets: boston (UCI-style splits), digits (8x8 images), text (character LM on GPL-3)."""
import csv
import gzip
import json
import os
import re

import numpy as np

from common import DATA, save_npz, sha256

SKLEARN_DATA = "/usr/lib/python3/dist-packages/sklearn/datasets/data"
TEXT_SOURCE = "/usr/share/common-licenses/GPL-3"
CONTEXT = 16
TEXT_VOCAB = 64


# --------------------------------------------------------------------------- boston

def load_boston_raw():
    path = os.path.join(SKLEARN_DATA, "boston_house_prices.csv")
    with open(path) as f:
        rows = list(csv.reader(f))
    n, d = int(rows[0][0]), int(rows[0][1])
    names = rows[1]
    values = np.array([[float(v) for v in r] for r in rows[2:2 + n]], dtype=np.float64)
    assert values.shape == (n, d + 1)
    return names[:d], values[:, :d], values[:, d]


def boston_split(seed, n):
    perm = np.random.RandomState(seed).permutation(n)
    n_train = int(0.9 * n)  # 455 of 506, as in the UCI protocol
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])


def standardize(X, y, train):
    xm, xs = X[train].mean(0), X[train].std(0)  # population std (ddof = 0)
    ym, ys = y[train].mean(), y[train].std()
    return xm, xs, ym, ys


def write_csv(path, names, X, y, fmt="%.9g"):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(list(names) + ["target"])
        for xi, yi in zip(X, y):
            w.writerow([fmt % v for v in xi] + [fmt % yi])


def make_boston():
    out = os.path.join(DATA, "boston")
    os.makedirs(os.path.join(out, "splits"), exist_ok=True)
    names, X, y = load_boston_raw()
    n = X.shape[0]
    write_csv(os.path.join(out, "boston_raw.csv"), names, X, y)
    for seed in range(5):
        tr, te = boston_split(seed, n)
        with open(os.path.join(out, "splits", f"split-{seed}.json"), "w") as f:
            json.dump({"seed": seed, "rows": n, "source": "boston_raw.csv",
                       "rule": "np.random.RandomState(seed).permutation(506); first 455 = train, rest = test; "
                               "each list sorted ascending; 0-based row indices into boston_raw.csv data rows",
                       "train": tr.tolist(), "test": te.tolist()}, f)
            f.write("\n")
    tr, te = boston_split(0, n)
    xm, xs, ym, ys = standardize(X, y, tr)
    Xs = ((X - xm) / xs).astype(np.float32)
    ys_ = ((y - ym) / ys).astype(np.float32)
    for part, idx in (("train", tr), ("test", te)):
        save_npz(os.path.join(out, f"{part}.npz"), x=Xs[idx], target=ys_[idx])
        write_csv(os.path.join(out, f"{part}.csv"), names, Xs[idx], ys_[idx])
    with open(os.path.join(out, "standardization.json"), "w") as f:
        json.dump({"split": "splits/split-0.json", "feature_names": names, "target_name": "MEDV",
                   "x_mean": xm.tolist(), "x_std": xs.tolist(), "y_mean": float(ym), "y_std": float(ys),
                   "std_ddof": 0, "rule": "x_std = (x - x_mean) / x_std; target_std = (MEDV - y_mean) / y_std; "
                                          "statistics of the 455 training rows only"}, f, indent=1)
        f.write("\n")
    return Xs[tr], ys_[tr], Xs[te], ys_[te]


# --------------------------------------------------------------------------- digits

def make_digits():
    out = os.path.join(DATA, "digits")
    with gzip.open(os.path.join(SKLEARN_DATA, "digits.csv.gz"), "rt") as f:
        raw = np.loadtxt(f, delimiter=",")
    X = (raw[:, :64] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = raw[:, 64].astype(np.int64)
    perm = np.random.RandomState(0).permutation(len(y))
    n_train = int(0.8 * len(y))  # 1437 / 360
    tr, te = np.sort(perm[:n_train]), np.sort(perm[n_train:])
    save_npz(os.path.join(out, "train.npz"), x=X[tr], target=y[tr])
    save_npz(os.path.join(out, "test.npz"), x=X[te], target=y[te])
    return X[tr], y[tr], X[te], y[te]


# --------------------------------------------------------------------------- text

def load_text():
    with open(TEXT_SOURCE, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"\s+", " ", text.lower()).strip()
    chars = sorted(set(text))
    assert len(chars) <= TEXT_VOCAB
    vocab = chars + [f"<unused-{i}>" for i in range(TEXT_VOCAB - len(chars))]
    stoi = {c: i for i, c in enumerate(chars)}
    ids = np.array([stoi[c] for c in text], dtype=np.int64)
    return text, vocab, ids


def make_text():
    out = os.path.join(DATA, "text")
    text, vocab, ids = load_text()
    T = CONTEXT
    n_seq = (len(ids) - 1) // (T + 1)
    windows = ids[: n_seq * (T + 1)].reshape(n_seq, T + 1)  # non-overlapping windows of T+1 tokens
    n_train = int(0.9 * n_seq)  # contiguous split: first 90% of the text trains, the end tests
    inp, tgt = windows[:, :T], windows[:, 1:]
    save_npz(os.path.join(out, "train.npz"), input_ids=inp[:n_train], target=tgt[:n_train])
    save_npz(os.path.join(out, "test.npz"), input_ids=inp[n_train:], target=tgt[n_train:])
    # next-character classification (transformer_encoder): T tokens in, the following token out
    save_npz(os.path.join(out, "next_char_train.npz"), input_ids=inp[:n_train], target=tgt[:n_train, -1].copy())
    save_npz(os.path.join(out, "next_char_test.npz"), input_ids=inp[n_train:], target=tgt[n_train:, -1].copy())
    with open(os.path.join(out, "vocab.json"), "w") as f:
        json.dump({"source": TEXT_SOURCE, "source_sha256": sha256(TEXT_SOURCE),
                   "preprocessing": "lower-cased; every whitespace run replaced by one space; stripped",
                   "characters": len(text), "context": T, "vocab_size": TEXT_VOCAB,
                   "used_tokens": len([v for v in vocab if not v.startswith("<unused")]),
                   "tokens": vocab}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return {"train": (inp[:n_train], tgt[:n_train]), "test": (inp[n_train:], tgt[n_train:]),
            "vocab": vocab, "ids": ids}


if __name__ == "__main__":
    make_boston()
    make_digits()
    make_text()
