#!/usr/bin/env bash
# Closed-loop simulation: the job runs in this process (local Flink, RocksDB) on the local Kafka broker
# (started if needed, and stopped again at the end) while simulated users, real Online Retail customers, respond to its decisions.
#   scripts/simulate.sh [--users 2000] [--visits 5] [--broken-variant] [--seed N]
# Prints the job's live analysis (lift of personalized over control with its 95% CI, p-values) beside
# the conversion rates the simulator's probabilities imply, and ends with one JSON line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"
ensure_job_jar
ensure_runtime kafka
ensure_models
if ! "$SCRIPTS_DIR/kafka.sh" status >/dev/null 2>&1; then
  "$SCRIPTS_DIR/kafka.sh" start
  trap '"$SCRIPTS_DIR/kafka.sh" stop || true' EXIT INT TERM # a broker this script started is stopped again
fi
run_tool io.personalize.jobs.tools.ClosedLoopSimulation --bootstrap-servers "localhost:${KAFKA_PORT:-9092}" \
  --models-dir "$MODELS_DIR" "$@"
