#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs experiments/quickstart.yaml in one process with the
# embedded LiteDB store (runs/quickstart.db). Running it again resumes and recomputes nothing that is done.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec scripts/xaigrid run experiments/quickstart.yaml --db runs/quickstart.db --workers "$(nproc)" --threads 1 "$@"
