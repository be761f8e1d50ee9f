#!/usr/bin/env bash
# Experiment analysis from counts: scripts/experiment-stats.sh --variant control:10000:1000 --variant b:10000:1100 [--weights 0.5,0.5]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"
run_tool io.personalize.jobs.tools.ExperimentStats "$@"
