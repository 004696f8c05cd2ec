#!/usr/bin/env bash
# Builds the benchmarks in Release and runs one: bench/run.sh conv2d [--threads 1,2] [--reps 10] ...
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dotnet build "$root/bench/XaiGrid.Bench/XaiGrid.Bench.csproj" -c Release --nologo -v quiet
exec dotnet "$root/bench/XaiGrid.Bench/bin/Release/net10.0/XaiGrid.Bench.dll" "${@:-conv2d}"
