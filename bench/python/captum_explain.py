"""Explanation maps of mnist1d-cnn with Captum, the other side of `bench/run.sh captum`.

The whole process is what is timed: interpreter start, import torch and captum, load the weights and inputs, compute,
write the maps. Captum is not in this repository: pass its source folder with --captum or CAPTUM_PATH, e.g.
    git clone --branch v0.7.0 --depth 1 https://github.com/pytorch/captum /tmp/captum     # needs torch, numpy,
    apt-get install python3-matplotlib python3-tqdm   # captum.attr imports matplotlib at top level

The methods, as DESIGN.md section 4 defines ours:
  gradient              Saliency(abs=False)
  smoothgrad            NoiseTunnel(Saliency), nt_type='smoothgrad', nt_samples=n, stdevs = sigma * (max(x) - min(x))
                        of each input: Captum takes one float stdev per input tensor, so each input is its own call
  integrated-gradients  IntegratedGradients(method='riemann_trapezoid', n_steps=steps), baseline 0; Captum weighs its
                        points 1/n, halved at the ends, so its maps are (steps - 1) / steps of ours
  gradcam               LayerGradCam(layer, relu_attributions=True), then LayerAttribution.interpolate to the input
                        length, linear as ours
Inputs go in batches of --batch, as one would with Captum: 1000 inputs, but 100 for integrated gradients, whose
internal_batch_size is --internal-batch (10) inputs times steps, 500 path points per pass. Captum cannot make a pass
smaller than the inputs of one call, and its time depends much on the pass: on the 2-core machine, batches of 1000
(passes of 1000 or 50,000 points) took 21 s and 272 s, batches of 100 with passes of 100 or 500 points 17 s and 13 s,
batches of 10 with passes of 500 points 16 s: the fastest is the default here.

--versions prints {"torch": ..., "captum": ..., "threads": ...} as one JSON line and exits.
"""
import argparse
import json
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--captum", default=os.environ.get("CAPTUM_PATH"), help="Captum source folder (default: $CAPTUM_PATH)")
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--versions", action="store_true")
parser.add_argument("--weights")
parser.add_argument("--inputs")
parser.add_argument("--targets")
parser.add_argument("--method", choices=["gradient", "smoothgrad", "integrated-gradients", "gradcam"])
parser.add_argument("--set", action="append", default=[], help="a method parameter, key=value")
parser.add_argument("--batch", type=int, help="inputs per call (default 1000, integrated gradients 100)")
parser.add_argument("--internal-batch", type=int, default=10, help="integrated gradients: inputs per pass (times steps)")
parser.add_argument("--out")
args = parser.parse_args()
params = dict(p.split("=", 1) for p in args.set)

if not args.captum or not os.path.isfile(os.path.join(args.captum, "captum", "__init__.py")):
    sys.exit(f"captum_explain.py: no Captum source at {args.captum!r}; pass --captum DIR or set CAPTUM_PATH to a checkout "
             "of github.com/pytorch/captum (e.g. tag v0.7.0), the folder that holds captum/__init__.py")
sys.path.insert(0, args.captum)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import captum  # noqa: E402
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, NoiseTunnel, Saliency  # noqa: E402

from models import Mnist1DCnn  # noqa: E402

torch.set_num_threads(args.threads)
if args.versions:
    print(json.dumps({"torch": torch.__version__, "captum": captum.__version__, "threads": torch.get_num_threads()}))
    sys.exit(0)


model = Mnist1DCnn()
model.load_state_dict(torch.load(args.weights))
model.eval()
inputs = torch.from_numpy(np.load(args.inputs)).clone()
targets = torch.from_numpy(np.load(args.targets))
length = inputs.shape[2:]
batch = args.batch or (100 if args.method == "integrated-gradients" else 1000)

if args.method == "gradient":
    saliency = Saliency(model)

    def attribute(x, t):
        return saliency.attribute(x, target=t, abs=False)
elif args.method == "smoothgrad":
    n, sigma = int(params.get("n", 50)), float(params.get("sigma", 0.15))
    tunnel = NoiseTunnel(Saliency(model))

    def attribute(x, t):
        maps = []
        for xi, ti in zip(x, t.tolist()):
            xi = xi.unsqueeze(0)
            stdev = sigma * (xi.max().item() - xi.min().item())
            maps.append(tunnel.attribute(xi, nt_type="smoothgrad", nt_samples=n, stdevs=stdev, target=ti, abs=False))
        return torch.cat(maps)
elif args.method == "integrated-gradients":
    steps = int(params.get("steps", 50))
    assert params.get("rule", "trapezoid") == "trapezoid" and float(params.get("baseline", 0)) == 0
    ig = IntegratedGradients(model)

    def attribute(x, t):
        return ig.attribute(x, target=t, n_steps=steps, method="riemann_trapezoid",
                            internal_batch_size=args.internal_batch * steps)
elif args.method == "gradcam":
    layer = params.get("layer", "conv3")
    cam = LayerGradCam(model, dict(model.named_modules())[layer])

    def attribute(x, t):
        return LayerAttribution.interpolate(cam.attribute(x, target=t, relu_attributions=True), length,
                                            interpolate_mode="linear")

maps = torch.cat([attribute(inputs[s:s + batch], targets[s:s + batch]).detach() for s in range(0, len(inputs), batch)])
np.save(args.out, maps.float().numpy())
print(f"wrote {args.method} maps {list(maps.shape)} to {args.out}")
