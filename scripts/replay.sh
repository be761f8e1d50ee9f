#!/usr/bin/env bash
# Replays the real UCI Online Retail purchases into the input topic.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  run_tool io.personalize.jobs.tools.ReplayEvents --help
  exit 0
fi
# exec: the JVM takes this script's pid, so that `scripts/replay.sh ... &` then `kill $!` stops the replay
tool_cmd io.personalize.jobs.tools.ReplayEvents --bootstrap-servers "${KAFKA_BOOTSTRAP:-localhost:${KAFKA_PORT:-9092}}" "$@"
exec "${TOOL_CMD[@]}"
