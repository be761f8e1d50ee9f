#!/usr/bin/env bash
# Replays a dataset through the job (bounded) and measures its recommendations against baselines.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"

case "${1:-}" in
  "" | -h | --help)
    echo "Usage: $(basename "$0") online-retail --out DIR [--cut YYYY-MM-DD] [--models-dir DIR] [--parallelism N]"
    echo "Trains the models on the data before the cut (into DIR/models unless --models-dir is given), replays"
    echo "UCI Online Retail in event-time order through the job's DAG, writes DIR/decisions.jsonl and DIR/metrics.json,"
    echo "and prints Recall@20 / MRR@20 for each customer's next order after the cut, beside the repeat-then-popular"
    echo "and item-kNN baselines."
    exit 0
    ;;
esac
TOOL_HEAP="${TOOL_HEAP:-6g}" run_tool io.personalize.jobs.tools.Backtest "$@"
