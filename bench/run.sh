#!/usr/bin/env bash
# Builds the benchmarks in Release and runs one (conv2d when none is named):
#   bench/run.sh conv2d [--threads 1,2] [--warmup 3] [--reps 20]
#   bench/run.sh train [mnist1d-cnn,vgg7] [--threads 1,2] [--warmup 3] [--reps 20]
#   bench/run.sh scaleout [experiment.yaml] [--max-workers 2] [--reps 1] [--broker amqp://user:password@host:port/vhost]
#     the quickstart in cluster mode with 1, then 2 xaigrid worker processes; needs the xaigrid scripts/setup.sh
#     publishes and RabbitMQ: tests/cluster/rabbitmq.sh start
# A vgg7 training repetition (10 steps of 32 tiles) takes tens of seconds on 2 busy cores: use e.g. --reps 5 --warmup 1.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dotnet build "$root/bench/XaiGrid.Bench/XaiGrid.Bench.csproj" -c Release --nologo -v quiet
exec dotnet "$root/bench/XaiGrid.Bench/bin/Release/net10.0/XaiGrid.Bench.dll" "${@:-conv2d}"
