#!/usr/bin/env bash
# Trains the default models from ../shared/data and publishes them to the model registry folder.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"

case "${1:-}" in
  -h | --help)
    echo "Usage: $(basename "$0") [--models-dir DIR] [--cut YYYY-MM-DD] [--horizon-days N] [--rounds N] [--blocked-terms FILE]"
    echo "Trains purchase propensity (XGBoost, served by DJL) and the popularity ranking from the UCI Online Retail"
    echo "data in \$SHARED_DIR/data (default ../shared/data) into a versioned registry (default: models/), and publishes"
    echo "the approved catalog and the safety screen's term list (FILE, default: the list shipped with the project)."
    exit 0
    ;;
esac
if [[ " $* " != *" --models-dir "* ]]; then
  set -- --models-dir "$MODELS_DIR" "$@"
fi
[[ -f "$SHARED_DIR/data/online-retail/online_retail.csv.gz" ]] ||
  die "training data not found: $SHARED_DIR/data/online-retail/online_retail.csv.gz (set SHARED_DIR)"
run_tool io.personalize.jobs.training.TrainModels "$@"
