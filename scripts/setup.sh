#!/usr/bin/env bash
# Installs the Debian packages XaiGrid needs when they are missing, then builds the solution and publishes the
# command line to build/xaigrid. libtorch comes from NuGet (TorchSharp's libtorch-cpu-linux-x64 package), so nothing
# native is built here. python3-torch and numpy are the reference implementation that tests and benchmarks compare against.
# Extra package names given as arguments are installed too (the test command adds what only tests use).
set -euo pipefail
cd "$(dirname "$0")/.."

# libdnnl2: oneDNN's runtime (libdnnl.so.2), which the 1-D explanation fast path (Models/Programs) calls; without it those
# passes run through autograd.
packages=(libdnnl2 python3-torch python3-numpy "$@")
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build XaiGrid.sln -c Release -nologo -v quiet -clp:ErrorsOnly
# The command line that scripts/xaigrid runs, compiled ahead of time (ReadyToRun): a coordinator or worker then spends
# its CPU on cells rather than on JIT compilation (see src/XaiGrid.Cli/XaiGrid.Cli.csproj).
dotnet publish src/XaiGrid.Cli/XaiGrid.Cli.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  -o build/xaigrid -nologo -v quiet -clp:ErrorsOnly
