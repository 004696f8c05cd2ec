"""Training steps in Debian's python3-torch, the reference for `XaiGrid.Bench train`.

The same loop as bench/XaiGrid.Bench/TrainBench.cs (Trainer.TrainStep's operations): gather the batch with
index_select, forward, cross-entropy, loss.item(), zero_grad, backward, Adam step, then the count of correct
predictions under no_grad. The architectures are DESIGN.md section 6's, with its state-dict names. Batches are
taken in order, full batches only, as our DataLoader(shuffle=False, dropLast=True) does. zero_grad drops the
gradients (set_to_none=True) as ours does; torch 1.13's default would zero them in place instead.

--data is MNIST-1D's train.csv (label,x0..x39) or a folder with inputs.npy and labels.npy written by the C# side.
Protocol (see Measure.cs): each line read from stdin is a number n of repetitions of --steps steps; the answer is one
JSON line {"threads": t, "times": [seconds per repetition]}.
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
parser.add_argument("--batch", type=int, required=True)
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--steps", type=int, required=True)
args = parser.parse_args()


def load(path):
    if path.endswith(".csv"):
        table = np.loadtxt(path, delimiter=",", skiprows=1)
        x = torch.from_numpy(table[:, 1:].astype(np.float32)).unsqueeze(1)
        return x.contiguous(), torch.from_numpy(table[:, 0].astype(np.int64))
    return (torch.from_numpy(np.load(os.path.join(path, "inputs.npy"))),
            torch.from_numpy(np.load(os.path.join(path, "labels.npy"))))


torch.set_num_threads(args.threads)
torch.manual_seed(0)
inputs, labels = load(args.data)
model = Mnist1DCnn() if args.model == "mnist1d-cnn" else Vgg7()
model.train()
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
batches = len(inputs) // args.batch
step = 0
correct = 0


def train_step():
    global step, correct
    start = (step % batches) * args.batch
    index = torch.tensor(list(range(start, start + args.batch)), dtype=torch.int64)
    x = inputs.index_select(0, index)
    y = labels.index_select(0, index)
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    value = loss.item()
    if not math.isfinite(value):
        raise RuntimeError(f"{args.model}: loss {value} at step {step}")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        correct += logits.argmax(1).eq(y).sum().item()
    step += 1


for line in sys.stdin:
    times = []
    for _ in range(int(line)):
        begin = time.perf_counter()
        for _ in range(args.steps):
            train_step()
        times.append(time.perf_counter() - begin)
    print(json.dumps({"threads": torch.get_num_threads(), "times": times}), flush=True)
