"""torch.nn.TransformerEncoder next-character classifier: train briefly, export, reference."""
import os

import torch
import torch.nn.functional as F

import data
from common import MODELS, check_names_match, export_onnx, load_onnx_weights, make_reference, seed_all
from nets import EncoderClassifier


def main():
    seed_all(0)
    text = data.make_text()
    xtr, ytr = text["train"]
    xte, yte = text["test"]
    ytr, yte = ytr[:, -1].copy(), yte[:, -1].copy()  # the character after the 16-character window
    model = EncoderClassifier()
    X, Y = torch.from_numpy(xtr), torch.from_numpy(ytr)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    model.train()  # dropout = 0, so train and eval compute the same function
    for _ in range(600):
        idx = torch.randint(0, len(X), (64,), generator=g)
        opt.zero_grad()
        F.cross_entropy(model(X[idx]), Y[idx]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc_tr = (model(X).argmax(1) == Y).float().mean().item()
        acc_te = (model(torch.from_numpy(xte)).argmax(1) == torch.from_numpy(yte)).float().mean().item()
    print(f"transformer_encoder: next-char accuracy train {acc_tr:.4f} test {acc_te:.4f}")
    path = os.path.join(MODELS, "transformer_encoder.onnx")
    m = export_onnx(model, [X[:2]], path, ["input_ids"], ["logits"],
                    {"input_ids": {0: "batch"}, "logits": {0: "batch"}})
    check_names_match(m, model)
    fresh = EncoderClassifier().eval()
    load_onnx_weights(fresh, path)
    with torch.no_grad():
        assert torch.equal(fresh(X), model(X))
    make_reference("transformer_encoder_categorical_prior1.0", model, path, ["input_ids"], ["logits"],
                   [xtr[:8]], ytr[:8], "categorical", "gaussian:1.0", len(ytr),
                   "first 8 rows of models/data/text/next_char_train.npz, N = number of training windows")
    return {"train_accuracy": acc_tr, "test_accuracy": acc_te}


if __name__ == "__main__":
    main()
