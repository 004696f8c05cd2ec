"""Explanation maps in Debian's python3-torch, the reference for `XaiGrid.Bench explain`.

Each method follows DESIGN.md section 4 and does the work of src/XaiGrid.Explain in plain torch, with the same
batching: inputs in chunks of --max-batch (Integrated Gradients: max(1, max_batch // steps) inputs, whose path
points share a pass); sample-based methods (SmoothGrad, RISE, LIME) and occlusion one input at a time, their samples
in blocks of min(max_batch, N). Random draws are of the same kind and number as ours but come from one generator per
input (ours: one per sample, seeded by (seed, id, sample)), written the way one would in plain torch. Sums over
samples are float64, as ours. Targets are the given labels; the weights require gradients, as ours do.

--data is a folder with inputs.npy and labels.npy written by the C# side. Protocol (see Measure.cs): each line read
from stdin is a number n of repetitions, a repetition being the maps of every input; the answer is one JSON line
{"threads": t, "times": [seconds per repetition]}.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import Mnist1DCnn, Vgg7  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, required=True)
parser.add_argument("--model", choices=["mnist1d-cnn", "vgg7"], required=True)
parser.add_argument("--data", required=True)
parser.add_argument("--method", required=True)
parser.add_argument("--set", action="append", default=[], help="a method parameter, key=value")
parser.add_argument("--max-batch", type=int, required=True)
args = parser.parse_args()
params = dict(p.split("=", 1) for p in args.set)

torch.set_num_threads(args.threads)
torch.manual_seed(0)
# A copy, so the inputs live in torch's 64-byte aligned memory as ours do: on numpy's 16-byte aligned buffer the
# oneDNN convolutions made gradient maps of mnist1d-cnn 1.5x slower.
inputs = torch.from_numpy(np.load(os.path.join(args.data, "inputs.npy"))).clone()
targets = torch.from_numpy(np.load(os.path.join(args.data, "labels.npy")))
model = Mnist1DCnn() if args.model == "mnist1d-cnn" else Vgg7()
model.eval()
modules = dict(model.named_modules())
B = args.max_batch


def chunks(n, size):
    for start in range(0, n, size):
        yield start, min(size, n - start)


def target_gradients(z, t):
    parts = []
    for s, c in chunks(len(z), B):
        x = z[s:s + c].detach().requires_grad_()
        selected = model(x).gather(1, t[s:s + c].unsqueeze(1)).sum()
        parts.append(torch.autograd.grad(selected, x)[0])
    return torch.cat(parts)


def target_scores(z, t, softmax):
    parts = []
    with torch.no_grad():
        for s, c in chunks(len(z), B):
            logits = model(z[s:s + c])
            scores = F.softmax(logits, 1) if softmax else logits
            parts.append(scores.gather(1, t[s:s + c].unsqueeze(1)).squeeze(1))
    return torch.cat(parts)


def layer_output_and_gradient(x, t, layer, cut):
    """The layer's output z and dS_c/dz; with cut, z is a leaf that replaces the output (the gradient stops there)."""
    captured = []

    def hook(module, inp, out):
        z = out.detach().requires_grad_() if cut else out
        captured.append(z)
        return z if cut else None

    handle = modules[layer].register_forward_hook(hook)
    try:
        with torch.enable_grad():
            x = x.detach().requires_grad_()
            selected = model(x).gather(1, t.unsqueeze(1)).sum()
    finally:
        handle.remove()
    return captured[0].detach(), torch.autograd.grad(selected, captured[0])[0]


def gradient(x, t, ids):
    return target_gradients(x, t)


def gradient_x_input(x, t, ids):
    return target_gradients(x, t) * x


def integrated_gradients(x, t, ids):
    steps = int(params["steps"])
    assert params["rule"] == "trapezoid"
    alphas = [k / (steps - 1) for k in range(steps)]
    weights = [(0.5 if k in (0, steps - 1) else 1.0) / (steps - 1) for k in range(steps)]
    ones = [1] * (x.dim() - 1)
    baseline = torch.full_like(x, float(params["baseline"]))
    difference = x - baseline
    alpha = torch.tensor(alphas, dtype=torch.float32).view(1, steps, *ones)
    path = (baseline.unsqueeze(1) + alpha * difference.unsqueeze(1)).flatten(0, 1)
    grads = target_gradients(path, t.repeat_interleave(steps)).view(len(x), steps, *x.shape[1:])
    weight = torch.tensor(weights, dtype=torch.float64).view(1, steps, *ones)
    integral = (grads.double() * weight).sum(1)
    return (difference.double() * integral).float()


def cam(x, t, plus_plus):
    a, g = layer_output_and_gradient(x, t, params["layer"], cut=False)
    a, g = a.double(), g.double()
    positions = list(range(2, a.dim()))
    if plus_plus:
        g2 = g.square()
        alpha = g2 / (2 * g2 + a.sum(positions, keepdim=True) * g2 * g + 1e-6)
        w = (alpha * g.relu()).sum(positions)
    else:
        w = g.mean(positions)
    m = (w.view(*w.shape, *[1] * len(positions)) * a).sum(1, keepdim=True).relu()
    mode = "linear" if x.dim() == 3 else "bilinear"
    return F.interpolate(m, size=x.shape[2:], mode=mode, align_corners=False).float()


def influence(x, t, ids):
    assert params["doi"] == "point" and params["qoi"] == "class" and params["multiply-activation"] == "false"
    _, g = layer_output_and_gradient(x, t, params["layer"], cut=True)
    return g.double().float()


def generator(i):
    return torch.Generator().manual_seed(1_000_003 * int(params["seed"]) + int(i))


def smoothgrad(x, t, i):
    n, sigma = int(params["n"]), float(params["sigma"])
    x, t = x[0], t[0]
    std = sigma * (x.max().item() - x.min().item())
    g = generator(i)
    total = torch.zeros(x.shape, dtype=torch.float64)
    for _, b in chunks(n, min(B, n)):
        noisy = x.unsqueeze(0) + torch.randn((b, *x.shape), generator=g) * std
        total += target_gradients(noisy, t.repeat(b)).double().sum(0)
    return (total / n).float().unsqueeze(0)


def rise(x, t, i):
    n, s, p1 = int(params["masks"]), int(params["cells"]), float(params["p1"])
    x, t = x[0], t[0]
    size = x.shape[1:]
    cell = [math.ceil(h / s) for h in size]
    mode = "linear" if len(size) == 1 else "bilinear"
    g = generator(i)
    total = torch.zeros((1, *size), dtype=torch.float64)
    for _, b in chunks(n, min(B, n)):
        grids = (torch.rand((b, *[s] * len(size)), generator=g) < p1).float()
        offsets = torch.stack([torch.randint(0, c, (b,), generator=g) for c in cell], 1).tolist()
        up = F.interpolate(grids.unsqueeze(1), size=[(s + 1) * c for c in cell], mode=mode, align_corners=False)
        masks = torch.stack([up[k][(slice(None), *[slice(o, o + h) for o, h in zip(offsets[k], size)])] for k in range(b)])
        p = target_scores(x.unsqueeze(0) * masks, t.repeat(b), softmax=True)
        total += (p.double().view(b, *[1] * x.dim()) * masks.double()).sum(0)
    return (total / n / p1).float().unsqueeze(0)


def occlusion(x, t, i):
    window, stride = int(params["window"]), int(params["stride"])
    x, target = x[0], t[0]
    size = list(x.shape[1:])
    starts = [list(range(0, h - window + 1, stride)) for h in size]
    placements = [[a] for a in starts[0]] if len(size) == 1 else [[a, b] for a in starts[0] for b in starts[1]]
    total = torch.zeros((1, *size), dtype=torch.float64)
    counts = torch.zeros((1, *size), dtype=torch.float64)
    original = target_scores(x.unsqueeze(0), target.view(1), softmax=False).item()
    for s, c in chunks(len(placements), B):
        masks = torch.zeros((c, 1, *size))
        for k in range(c):
            masks[k][(slice(None), *[slice(p, p + window) for p in placements[s + k]])] = 1
        occluded = x.unsqueeze(0) * (1 - masks) + masks * float(params["baseline"])
        scores = target_scores(occluded, target.repeat(c), softmax=False)
        differences = (original - scores.double()).view(c, *[1] * (len(size) + 1))
        covered = masks.double()
        total += (differences * covered).sum(0)
        counts += covered.sum(0)
    return torch.where(counts > 0, total / counts.clamp_min(1), torch.zeros_like(total)).float().unsqueeze(0)


def segments(size, window):
    if len(size) == 1:
        return torch.arange(size[0]) // window, math.ceil(size[0] / window)
    across = math.ceil(size[1] / window)
    rows = torch.arange(size[0]) // window
    cols = torch.arange(size[1]) // window
    return (rows.view(-1, 1) * across + cols.view(1, -1)).flatten(), math.ceil(size[0] / window) * across


def lime(x, t, i):
    n, window, width = int(params["samples"]), int(params["window"]), float(params["kernel-width"])
    ridge = 1e-3
    x, t = x[0], t[0]
    size = list(x.shape[1:])
    segment_of, count = segments(size, window)
    g = generator(i)
    gram = torch.zeros((count + 1, count + 1), dtype=torch.float64)
    moment = torch.zeros(count + 1, dtype=torch.float64)
    for _, b in chunks(n, min(B, n)):
        z = (torch.rand((b, count), generator=g) < 0.5).double()
        keep = z.index_select(1, segment_of).to(x.dtype).view(b, 1, *size)
        perturbed = x.unsqueeze(0) * keep + (1 - keep) * float(params["baseline"])
        y = target_scores(perturbed, t.repeat(b), softmax=True).double()
        distance = 1 - (z.sum(1) / count).sqrt()
        w = (-distance.square() / (width * width)).exp()
        design = torch.cat([torch.ones((b, 1), dtype=torch.float64), z], 1)
        gram += design.T @ (w.unsqueeze(1) * design)
        moment += design.T @ (w * y)
    penalty = torch.full((count + 1,), ridge, dtype=torch.float64)
    penalty[0] = 0
    beta = torch.linalg.solve(gram / n + torch.diag(penalty), moment / n)
    return beta[1:][segment_of].view(1, 1, *size).float()


METHODS = {
    "gradient": (gradient, lambda: B),
    "gradient-x-input": (gradient_x_input, lambda: B),
    "smoothgrad": (smoothgrad, lambda: 1),
    "integrated-gradients": (integrated_gradients, lambda: max(1, B // int(params["steps"]))),
    "gradcam": (lambda x, t, i: cam(x, t, plus_plus=False), lambda: B),
    "gradcam++": (lambda x, t, i: cam(x, t, plus_plus=True), lambda: B),
    "rise": (rise, lambda: 1),
    "occlusion": (occlusion, lambda: 1),
    "lime": (lime, lambda: 1),
    "influence": (influence, lambda: B),
}
compute, chunk_size = METHODS[args.method]


def attribute():
    ids = torch.arange(len(inputs))
    return torch.cat([compute(inputs[s:s + c], targets[s:s + c], ids[s:s + c]) for s, c in chunks(len(inputs), chunk_size())])


for line in sys.stdin:
    times = []
    for _ in range(int(line)):
        start = time.perf_counter()
        if not torch.isfinite(attribute()).all():
            raise RuntimeError(f"{args.method} on {args.model}: a map is not finite")
        times.append(time.perf_counter() - start)
    print(json.dumps({"threads": torch.get_num_threads(), "times": times}), flush=True)
