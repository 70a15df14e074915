"""Shared helpers: paths, seeding, ONNX export, parameter set, reference log densities.

Conventions implemented here (the .NET side implements exactly these):

  log_density = (N/B) * sum_{i in batch} loglik_i + log_prior   (all normalising constants kept)

  likelihood "categorical":    loglik_i = log_softmax(out_i)[y_i]; for [B,T,V] outputs the sum
                               runs over t as well, skipping targets equal to -100.
  likelihood "gaussian:SIGMA": loglik_i = -1/2((y_i-mu_i)/s)^2 - ln s - 1/2 ln 2pi, mu = out.reshape(B)
  likelihood "bernoulli":      loglik_i = y_i z_i - softplus(z_i), z = out.reshape(B)
  prior "none":                0
  prior "gaussian:S":          sum over all parameter elements of -1/2(t/S)^2 - ln S - 1/2 ln 2pi
  prior "gaussian-fanin:S":    same with per-tensor sigma = S/sqrt(fan_in), fan_in = prod(dims[1:])
                               for rank >= 2 and 1 for rank <= 1.

Parameters = every float initializer of the ONNX file, except BatchNormalization running
mean/var (inputs 3 and 4 of a BatchNormalization node) and except tensors with <= 1 element.
"""
import copy
import hashlib
import json
import math
import os
import random

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn.functional as F

MODELS = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DATA = os.path.join(MODELS, "data")
REFERENCE = os.path.join(MODELS, "reference")
OPSET = 17
LOG_2PI = math.log(2.0 * math.pi)


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # training is bit-reproducible with a fixed thread count
    torch.use_deterministic_algorithms(True)


def rel(path):
    return os.path.relpath(path, MODELS)


def save_npz(path, **arrays):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez(path, **arrays)


def load_npz(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


# --------------------------------------------------------------------------- export

def export_onnx(model, example_inputs, path, input_names, output_names, dynamic_axes,
                external_data=False):
    """TorchScript exporter, opset 17, no constant folding, explicit names, module in eval mode."""
    model.eval()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.onnx.export(
        model, tuple(example_inputs), path,
        export_params=True, opset_version=OPSET, do_constant_folding=False,
        input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes,
        # PRESERVE with the module in eval mode exports eval semantics; TrainingMode.EVAL would run
        # torch's eval peephole pass, which fuses BatchNormalization into Conv even without folding.
        training=torch.onnx.TrainingMode.PRESERVE, keep_initializers_as_inputs=False)
    m = onnx.load(path)
    if external_data:
        data_name = os.path.basename(path) + ".data"
        data_path = os.path.join(os.path.dirname(os.path.abspath(path)), data_name)
        if os.path.exists(data_path):
            os.remove(data_path)
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=data_name, size_threshold=1024, convert_attribute=False)
        onnx.checker.check_model(path)  # path form: checks external data too
    else:
        onnx.checker.check_model(m)
    return onnx.load(path, load_external_data=False) if external_data else m


def onnx_parameter_set(m):
    """(parameters, excluded) following the convention: names of float initializers."""
    float_types = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16,
                   onnx.TensorProto.BFLOAT16}
    bn_stats = set()
    for n in m.graph.node:
        if n.op_type == "BatchNormalization":
            bn_stats.update(n.input[3:5])
    params, excluded = [], []
    for init in m.graph.initializer:
        numel = int(np.prod(init.dims)) if len(init.dims) else 1
        if init.data_type not in float_types:
            excluded.append({"name": init.name, "reason": "not float", "shape": list(init.dims)})
        elif init.name in bn_stats:
            excluded.append({"name": init.name, "reason": "BatchNormalization running statistic",
                             "shape": list(init.dims)})
        elif numel <= 1:
            excluded.append({"name": init.name, "reason": "scalar / 1-element", "shape": list(init.dims)})
        else:
            params.append(init.name)
    return params, excluded


def check_names_match(m, model):
    """Every ONNX initializer that is a torch parameter/buffer keeps its torch name and value."""
    state = model.state_dict()
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in m.graph.initializer}
    params, excluded = onnx_parameter_set(m)
    torch_params = {k: p for k, p in model.named_parameters()}
    for name in params:
        assert name in torch_params, f"ONNX parameter {name} is not a torch parameter name"
    for name, p in torch_params.items():
        if p.numel() > 1:
            assert name in inits, f"torch parameter {name} missing from ONNX initializers {list(inits)}"
    for name, arr in inits.items():
        if name in state:
            t = state[name].detach().cpu().numpy()
            assert arr.shape == t.shape, (name, arr.shape, t.shape)
            assert np.array_equal(arr, t), f"initializer {name} differs from torch"
    return params, excluded


def load_onnx_weights(model, path):
    """Copy ONNX initializers (by name) into a torch module; returns the names copied."""
    m = onnx.load(path)
    state = model.state_dict()
    copied = []
    for init in m.graph.initializer:
        if init.name in state:
            state[init.name].copy_(torch.from_numpy(onnx.numpy_helper.to_array(init).copy()))
            copied.append(init.name)
    return copied


# --------------------------------------------------------------------------- densities

def log_likelihood_terms(out, target, likelihood):
    """Sum over the batch of loglik_i (unscaled)."""
    B = out.shape[0]
    if likelihood == "categorical":
        logp = F.log_softmax(out, dim=-1)
        mask = target != -100
        safe = torch.where(mask, target, torch.zeros_like(target))
        picked = logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
        return (picked * mask.to(picked.dtype)).sum()
    if likelihood.startswith("gaussian:"):
        s = float(likelihood.split(":", 1)[1])
        mu = out.reshape(B)
        y = target.reshape(B).to(mu.dtype)
        return (-0.5 * ((y - mu) / s) ** 2 - math.log(s) - 0.5 * LOG_2PI).sum()
    if likelihood == "bernoulli":
        z = out.reshape(B)
        y = target.reshape(B).to(z.dtype)
        return (y * z - F.softplus(z)).sum()
    raise ValueError(likelihood)


def fan_in(shape):
    return int(np.prod(shape[1:])) if len(shape) >= 2 else 1


def log_prior(named_tensors, prior):
    if prior == "none":
        return torch.zeros((), dtype=torch.float64)
    kind, s = prior.split(":", 1)
    S = float(s)
    total = torch.zeros((), dtype=torch.float64)
    for _, t in named_tensors:
        sig = S if kind == "gaussian" else S / math.sqrt(fan_in(tuple(t.shape)))
        if kind not in ("gaussian", "gaussian-fanin"):
            raise ValueError(prior)
        total = total + (-0.5 * (t / sig) ** 2 - math.log(sig) - 0.5 * LOG_2PI).sum()
    return total


def log_density(model, inputs, target, likelihood, prior, N, params):
    named = dict(model.named_parameters())
    out = model(*inputs)
    B = out.shape[0]
    ll = log_likelihood_terms(out, target, likelihood)
    lp = log_prior([(n, named[n]) for n in params], prior)
    return (N / B) * ll + lp, ll, lp, out


def make_reference(name, model, onnx_path, input_names, output_names, batch, target,
                   likelihood, prior, N, description, fd_checks=8, fd_seed=0):
    """Float64 reference of log_density and its gradient w.r.t. each ONNX parameter.

    batch: list of numpy arrays, one per model input (float32 or int64), in input order.
    Writes models/reference/NAME.npz and NAME.json."""
    m = onnx.load(onnx_path)
    params, excluded = onnx_parameter_set(m)
    dm = copy.deepcopy(model).double().eval()
    for n, p in dm.named_parameters():
        p.requires_grad_(n in params)
    named = dict(dm.named_parameters())
    xs = [torch.from_numpy(a).double() if a.dtype.kind == "f" else torch.from_numpy(a) for a in batch]
    tt = torch.from_numpy(target)
    if tt.dtype.is_floating_point:
        tt = tt.double()
    ld, ll, lp, out = log_density(dm, xs, tt, likelihood, prior, N, params)
    grads = torch.autograd.grad(ld, [named[n] for n in params])
    B = int(batch[0].shape[0])

    # finite-difference spot check (float64, central differences)
    rng = np.random.RandomState(fd_seed)
    worst = 0.0
    with torch.no_grad():
        for _ in range(fd_checks):
            k = rng.randint(len(params))
            p = named[params[k]]
            idx = rng.randint(p.numel())
            flat = p.view(-1)
            old = flat[idx].item()
            h = 1e-6 * max(1.0, abs(old))
            flat[idx] = old + h
            up = log_density(dm, xs, tt, likelihood, prior, N, params)[0].item()
            flat[idx] = old - h
            dn = log_density(dm, xs, tt, likelihood, prior, N, params)[0].item()
            flat[idx] = old
            fd = (up - dn) / (2 * h)
            an = grads[k].view(-1)[idx].item()
            err = abs(fd - an) / max(1.0, abs(an), abs(ld.item()) * 1e-6)
            worst = max(worst, err)
            assert err < 1e-4, f"{name}: FD check failed for {params[k]}[{idx}]: fd={fd} autograd={an}"
    print(f"  reference {name}: log_density={ld.item():.10g} (loglik sum {ll.item():.6g}, "
          f"log prior {lp.item():.6g}), {len(params)} parameter tensors, FD worst rel err {worst:.2e}")

    arrays = {"log_density": np.array(ld.item(), dtype=np.float64),
              "log_likelihood_sum": np.array(ll.item(), dtype=np.float64),
              "log_prior": np.array(lp.item(), dtype=np.float64)}
    for n, g in zip(params, grads):
        arrays[n] = g.detach().numpy().astype(np.float64)
    for n, a in zip(input_names, batch):
        arrays[n] = a
    arrays["target"] = target
    arrays["output:" + output_names[0]] = out.detach().numpy().astype(np.float64)
    save_npz(os.path.join(REFERENCE, name + ".npz"), **arrays)
    meta = {
        "name": name,
        "model": rel(onnx_path),
        "likelihood": likelihood,
        "prior": prior,
        "N": int(N),
        "B": B,
        "scale": N / B,
        "inputs": {n: {"shape": list(a.shape), "dtype": str(a.dtype)} for n, a in zip(input_names, batch)},
        "target": {"shape": list(target.shape), "dtype": str(target.dtype)},
        "outputs": {output_names[0]: {"npz_key": "output:" + output_names[0], "shape": list(out.shape)}},
        "parameters": [{"name": n, "shape": list(named[n].shape), "numel": int(named[n].numel())}
                       for n in params],
        "parameter_count": int(sum(named[n].numel() for n in params)),
        "excluded_initializers": excluded,
        "log_density": ld.item(),
        "log_likelihood_sum": ll.item(),
        "log_prior": lp.item(),
        "fd_check": {"points": fd_checks, "worst_relative_error": worst},
        "computed_in": "float64 (torch autograd on a double copy of the float32 weights and inputs)",
        "description": description,
    }
    with open(os.path.join(REFERENCE, name + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return meta


def describe_model(path):
    m = onnx.load(path, load_external_data=False)

    def vi(v):
        dims = [d.dim_param if d.dim_param else d.dim_value for d in v.type.tensor_type.shape.dim]
        return {"name": v.name, "elem_type": onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type),
                "shape": dims}
    params, excluded = onnx_parameter_set(m)
    inits = {i.name: list(i.dims) for i in m.graph.initializer}
    return {
        "file": rel(path),
        "opset": [{"domain": o.domain, "version": o.version} for o in m.opset_import],
        "inputs": [vi(v) for v in m.graph.input],
        "outputs": [vi(v) for v in m.graph.output],
        "parameters": [{"name": n, "shape": inits[n]} for n in params],
        "parameter_count": int(sum(int(np.prod(inits[n])) for n in params)),
        "excluded_initializers": excluded,
        "op_types": sorted({n.op_type for n in m.graph.node}),
        "nodes": len(m.graph.node),
        "sha256": sha256(path),
    }
