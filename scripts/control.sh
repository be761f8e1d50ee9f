#!/usr/bin/env bash
# Sends a command to the running job's control topic (watch what the job did: scripts/consume.sh audit):
#   scripts/control.sh --user 12345                                        erase a user (ERASE_USER)
#   scripts/control.sh --command DEPLOY_MODEL --model propensity --version v2   switch every subtask to a version
#   scripts/control.sh --command SHADOW_MODEL --model propensity --version v2   score it beside the live one
#   scripts/control.sh --command STOP_SHADOW --model propensity
#   scripts/control.sh --command OPT_OUT --user 12345                      no personalized decisions for a user (OPT_IN undoes)
#   scripts/control.sh --command START_EXPERIMENT --experiment ranker-v2 --variations control,ranker [--weights 0.5,0.5]
#       [--coverage 1] [--namespace NAME:START:END] [--holdout]
#   scripts/control.sh --command SET_EXPERIMENT_WEIGHTS --experiment ranker-v2 --weights 0.8,0.2
#   scripts/control.sh --command STOP_VARIANT --experiment ranker-v2 --variant ranker --reason "..."
#   scripts/control.sh --command STOP_EXPERIMENT --experiment ranker-v2
# A model version's folder defaults to <models-dir>/<model>/<version> (--location), its checksum to
# the one its metadata.json records (--sha256).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"

run_tool io.personalize.jobs.tools.SendControl --bootstrap-servers "${KAFKA_BOOTSTRAP:-localhost:${KAFKA_PORT:-9092}}" \
  --models-dir "$MODELS_DIR" "$@"
