#!/usr/bin/env bash
# The model registry from the command line: score a file with a model's current version.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"

usage() {
  echo "Usage: $(basename "$0") predict --model NAME --input FILE [--models-dir DIR]"
  echo "       $(basename "$0") check [--models-dir DIR]"
  echo "  sentiment: one sentence per line in, one probability (positive) per line out"
  echo "  propensity | churn | segment | recommend: an event file (Avro container or JSON lines) in,"
  echo "  one JSON line per event out (features replayed per user in file order, as the stream does)"
  echo "  check: exits non-zero (and says why) when a scored model is missing or was trained on other"
  echo "  features than this build computes; scripts/run-local.sh and bench.sh then train them again"
}
case "${1:-}" in
  predict | check)
    tool=io.personalize.jobs.tools.PredictModel
    [[ "$1" == check ]] && tool=io.personalize.jobs.tools.CheckModels
    shift
    if [[ " $* " != *" --models-dir "* ]]; then
      set -- --models-dir "$MODELS_DIR" "$@"
    fi
    run_tool "$tool" "$@"
    ;;
  -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
