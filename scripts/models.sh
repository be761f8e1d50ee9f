#!/usr/bin/env bash
# The model registry from the command line: score a file with a model's current version.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"

usage() {
  echo "Usage: $(basename "$0") predict --model NAME --input FILE [--models-dir DIR]"
  echo "  sentiment: one sentence per line in, one probability (positive) per line out"
  echo "  propensity | churn | segment | recommend: an event file (Avro container or JSON lines) in,"
  echo "  one JSON line per event out (features replayed per user in file order, as the stream does)"
}
case "${1:-}" in
  predict)
    shift
    if [[ " $* " != *" --models-dir "* ]]; then
      set -- --models-dir "$MODELS_DIR" "$@"
    fi
    run_tool io.personalize.jobs.tools.PredictModel "$@"
    ;;
  -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
