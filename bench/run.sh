#!/usr/bin/env bash
# Builds the benchmarks in Release and runs one (conv2d when none is named):
#   bench/run.sh conv2d [--threads 1,2] [--warmup 3] [--reps 20]
#   bench/run.sh train [mnist1d-cnn,vgg7] [--threads 1,2] [--warmup 3] [--reps 20]
#   bench/run.sh orchestration [--cells 2000] [--job 20] [--workers 2] [--reps 5]
#     overhead per no-op cell in one process (coordinator, worker actors, result sink, store)
#   bench/run.sh cluster-overhead [--cells 2000] [--job 20] [--workers 2] [--reps 3]
#     the same across processes: a coordinator node here, worker nodes in processes of their own (Akka.Cluster, loopback)
#   bench/run.sh scaleout [experiment.yaml] [--max-workers 2] [--reps 1]
#     the quickstart in cluster mode with 1, then 2 xaigrid worker processes; needs the xaigrid scripts/setup.sh publishes
#   bench/run.sh store [--cells 1000] [--reps 5]
#     the result store's cost per cell: write a cell's attempt, artifacts and results, read them back
#   bench/run.sh quickstart [--xaigrid DIR[,DIR...]] [--reps 3] [--workers 2]
#     whole `xaigrid run experiments/quickstart.yaml` processes of one or more published builds (default: build/xaigrid,
#     which it publishes first as setup.sh does), interleaved repetition by repetition
#   bench/run.sh captum [--captum DIR] [--reps 5] [--warmup 1] [--methods gradient,smoothgrad,integrated-gradients,gradcam]
#     whole `xaigrid explain` processes against whole python processes computing the same maps with Captum, 10,000
#     MNIST-1D sequences, 1 thread; Captum's source folder from --captum or CAPTUM_PATH (e.g. a checkout of tag v0.7.0
#     of github.com/pytorch/captum; it needs python3-matplotlib and python3-tqdm). Publishes xaigrid as setup.sh does.
# A vgg7 training repetition (10 steps of 32 tiles) takes tens of seconds on 2 busy cores: use e.g. --reps 5 --warmup 1.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "${1:-}" == captum || "${1:-}" == quickstart ]]; then
  dotnet publish "$root/src/XaiGrid.Cli/XaiGrid.Cli.csproj" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$root/build/xaigrid" -nologo -v quiet -clp:ErrorsOnly
fi
dotnet build "$root/bench/XaiGrid.Bench/XaiGrid.Bench.csproj" -c Release --nologo -v quiet
exec dotnet "$root/bench/XaiGrid.Bench/bin/Release/net10.0/XaiGrid.Bench.dll" "${@:-conv2d}"
