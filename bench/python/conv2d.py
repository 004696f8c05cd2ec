"""conv2d forward+backward in Debian's python3-torch, the reference for `XaiGrid.Bench conv2d`.

Same problem as bench/XaiGrid.Bench/Conv2dBench.cs: x 32x3x150x150, w 32x3x3x3, bias 32, padding 1,
float32, gradients for x, w and b. Protocol (see Measure.cs): each line read from stdin is a number n of
repetitions to run; the answer is one JSON line {"threads": t, "times": [seconds per repetition]}.
"""
import argparse
import json
import sys
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, required=True)
args = parser.parse_args()

torch.set_num_threads(args.threads)
g = torch.Generator().manual_seed(0)
x = torch.randn(32, 3, 150, 150, generator=g).requires_grad_()
w = torch.randn(32, 3, 3, 3, generator=g).requires_grad_()
b = torch.randn(32, generator=g).requires_grad_()


def step():
    x.grad = w.grad = b.grad = None
    torch.nn.functional.conv2d(x, w, b, padding=1).sum().backward()


for line in sys.stdin:
    times = []
    for _ in range(int(line)):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    print(json.dumps({"threads": torch.get_num_threads(), "times": times}), flush=True)
