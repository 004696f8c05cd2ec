#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test project. Prints one closing line
# "tests: N passed, N failed, N skipped" and exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
# chromium to load the HTML report; Pillow and h5py as references for image and HDF5 decoding. The cluster tests need
# nothing more: their coordinator and workers are xaigrid processes joined with Akka.Cluster on loopback.
scripts/setup.sh chromium python3-pil python3-h5py

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test XaiGrid.sln -c Release --no-build -nologo 2>&1 | tee "$log" || status=$?

# dotnet test prints one summary line per test assembly; add them up.
read -r passed failed skipped < <(awk '
  /(Passed|Failed)!.*Failed: *[0-9]+, *Passed: *[0-9]+, *Skipped: *[0-9]+/ {
    match($0, /Failed: *[0-9]+/);  f += substr($0, RSTART + 7, RLENGTH - 7)
    match($0, /Passed: *[0-9]+/);  p += substr($0, RSTART + 7, RLENGTH - 7)
    match($0, /Skipped: *[0-9]+/); s += substr($0, RSTART + 8, RLENGTH - 8)
  }
  END { printf "%d %d %d\n", p, f, s }' "$log")
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [[ $status -ne 0 || $failed -ne 0 || $passed -eq 0 ]]; then exit 1; fi
