#!/usr/bin/env bash
# Prints a topic's records as JSON, decoded with nothing but the .avsc files in schemas/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"

if [[ $# -eq 0 || "$1" == "-h" || "$1" == "--help" ]]; then
  cat <<USAGE
Usage: $(basename "$0") TOPIC [--from-beginning | --since EPOCH_MS] [--to-end] [--max N] [--timeout SECONDS] [--bootstrap-servers HOST:PORT]
Prints every record of TOPIC as one JSON line (decisions, experiment-assignments, dead-letters, user-events).
By default it waits for new records; --to-end stops at the end the topic had when it started, and
--since starts at the first record written at or after a time (epoch ms).
USAGE
  exit 0
fi
run_tool io.personalize.jobs.tools.ConsumeTopic --schemas "$SCHEMAS_DIR" --schema-history "$SCHEMA_HISTORY_DIR" \
  --bootstrap-servers "${KAFKA_BOOTSTRAP:-localhost:${KAFKA_PORT:-9092}}" "$@"
