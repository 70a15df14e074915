"""boston_mlp, digits_cnn and ops_zoo: train briefly (seeded), export, write reference cases."""
import os

import numpy as np
import torch
import torch.nn.functional as F

import data
from common import (DATA, MODELS, check_names_match, export_onnx, load_onnx_weights, make_reference,
                    save_npz, seed_all)
from nets import BostonMLP, DigitsCNN, OpsZoo


def roundtrip(model_cls, path, model, inputs, **kw):
    """Fresh module + ONNX initializers must reproduce the trained module's outputs exactly."""
    fresh = model_cls(**kw).eval()
    load_onnx_weights(fresh, path)
    with torch.no_grad():
        a, b = model.eval()(*inputs), fresh(*inputs)
    assert torch.equal(a, b), f"{path}: weights read back from ONNX do not reproduce the outputs"


def boston():
    seed_all(0)
    xtr, ytr, xte, yte = data.make_boston()
    model = BostonMLP()
    X, Y = torch.from_numpy(xtr), torch.from_numpy(ytr)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(400):  # full-batch Adam on the MSE: brief, lands near a mode
        opt.zero_grad()
        loss = F.mse_loss(model(X).reshape(-1), Y)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        rmse_tr = F.mse_loss(model(X).reshape(-1), Y).sqrt().item()
        rmse_te = F.mse_loss(model(torch.from_numpy(xte)).reshape(-1), torch.from_numpy(yte)).sqrt().item()
    print(f"boston_mlp: standardised RMSE train {rmse_tr:.4f} test {rmse_te:.4f}")
    path = os.path.join(MODELS, "boston_mlp.onnx")
    m = export_onnx(model, [X[:2]], path, ["x"], ["y"], {"x": {0: "batch"}, "y": {0: "batch"}})
    check_names_match(m, model)
    roundtrip(BostonMLP, path, model, [X])
    n = xtr.shape[0]
    b = slice(0, 32)
    make_reference("boston_mlp_gaussian0.5_noprior_full32", model, path, ["x"], ["y"], [xtr[b]], ytr[b],
                   "gaussian:0.5", "none", 32,
                   "first 32 rows of models/data/boston/train.npz as the full data set (N = B = 32)")
    make_reference("boston_mlp_gaussian0.5_prior1.0_minibatch", model, path, ["x"], ["y"], [xtr[b]], ytr[b],
                   "gaussian:0.5", "gaussian:1.0", n,
                   "minibatch of the first 32 training rows, N = 455 training rows")
    yb = (ytr[b] > 0).astype(np.float32)
    make_reference("boston_mlp_bernoulli_fanin1.0", model, path, ["x"], ["y"], [xtr[b]], yb,
                   "bernoulli", "gaussian-fanin:1.0", n,
                   "output y used as a Bernoulli logit; target = 1[standardised price > 0] (float32 0/1); "
                   "first 32 training rows, N = 455")
    return {"train_rmse_standardised": rmse_tr, "test_rmse_standardised": rmse_te}


def digits():
    seed_all(0)
    xtr, ytr, xte, yte = data.make_digits()
    model = DigitsCNN()
    X, Y = torch.from_numpy(xtr), torch.from_numpy(ytr)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for epoch in range(30):
        perm = torch.randperm(len(Y), generator=g)
        for i in range(0, len(Y), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            F.cross_entropy(model(X[idx]), Y[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc_tr = (model(X).argmax(1) == Y).float().mean().item()
        acc_te = (model(torch.from_numpy(xte)).argmax(1) == torch.from_numpy(yte)).float().mean().item()
    print(f"digits_cnn: accuracy train {acc_tr:.4f} test {acc_te:.4f}")
    path = os.path.join(MODELS, "digits_cnn.onnx")
    m = export_onnx(model, [X[:2]], path, ["x"], ["logits"], {"x": {0: "batch"}, "logits": {0: "batch"}})
    check_names_match(m, model)
    roundtrip(DigitsCNN, path, model, [X])
    make_reference("digits_cnn_categorical_fanin1.0", model, path, ["x"], ["logits"], [xtr[:32]], ytr[:32],
                   "categorical", "gaussian-fanin:1.0", len(ytr),
                   "minibatch of the first 32 rows of models/data/digits/train.npz, N = 1437")
    return {"train_accuracy": acc_tr, "test_accuracy": acc_te}


def ops_zoo():
    seed_all(0)
    model = OpsZoo()
    with torch.no_grad():  # non-trivial BN state (and distinct values, so the exporter merges nothing)
        model.bn.running_mean.copy_(0.1 * torch.randn(8))
        model.bn.running_var.copy_(0.5 + torch.rand(8))
        model.bn.weight.copy_(1.0 + 0.1 * torch.randn(8))
        model.bn.bias.copy_(0.1 * torch.randn(8))
    N = 256
    rng = np.random.RandomState(0)
    x = rng.randn(N, 4, 12, 12).astype(np.float32)
    aux = rng.randn(N, 6).astype(np.float32)
    with torch.no_grad():  # labels: argmax of a fixed random linear teacher on pooled inputs, 20% flipped
        feats = np.concatenate([x.mean(axis=(2, 3)), aux], axis=1)
        y = (feats @ rng.randn(10, 5)).argmax(1).astype(np.int64)
        flip = rng.rand(N) < 0.2
        y[flip] = rng.randint(0, 5, flip.sum())
    save_npz(os.path.join(DATA, "ops_zoo", "train.npz"), x=x, aux=aux, target=y)
    # a few Adam steps (BN in eval mode: running statistics stay fixed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.eval()
    X, A, Y = torch.from_numpy(x), torch.from_numpy(aux), torch.from_numpy(y)
    for _ in range(30):
        opt.zero_grad()
        F.nll_loss(model(X, A), Y).backward()
        opt.step()
    path = os.path.join(MODELS, "ops_zoo.onnx")
    m = export_onnx(model, [X[:2], A[:2]], path, ["x", "aux"], ["log_probs"],
                    {"x": {0: "batch"}, "aux": {0: "batch"}, "log_probs": {0: "batch"}})
    check_names_match(m, model)
    roundtrip(OpsZoo, path, model, [X, A])
    ops = sorted({n.op_type for n in m.graph.node})
    print("ops_zoo op types:", ", ".join(ops))
    need = {"Conv", "ConvTranspose", "BatchNormalization", "AveragePool", "Sigmoid", "Tanh", "Elu",
            "LeakyRelu", "Softplus", "Concat", "Slice", "Transpose", "Reshape", "ReduceMean", "LogSoftmax",
            "Gemm"}
    assert need <= set(ops), f"ops_zoo lacks {need - set(ops)}"
    make_reference("ops_zoo_categorical_prior1.0", model, path, ["x", "aux"], ["log_probs"],
                   [x[:16], aux[:16]], y[:16], "categorical", "gaussian:1.0", N,
                   "first 16 rows of models/data/ops_zoo/train.npz (synthetic), N = 256; the output is already "
                   "log-probabilities, and log_softmax of it is the identity")
    make_reference("ops_zoo_categorical_noprior_full16", model, path, ["x", "aux"], ["log_probs"],
                   [x[:16], aux[:16]], y[:16], "categorical", "none", 16,
                   "first 16 rows of models/data/ops_zoo/train.npz (synthetic) as the full data set")
    return {"op_types": ops}


if __name__ == "__main__":
    boston()
    digits()
    ops_zoo()
