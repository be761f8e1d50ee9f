#!/usr/bin/env bash
# Sends a command to the running job's control topic, e.g. a user's erasure request:
#   scripts/control.sh --user 12345            (ERASE_USER; watch: scripts/consume.sh audit)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"

run_tool io.personalize.jobs.tools.SendControl --bootstrap-servers "${KAFKA_BOOTSTRAP:-localhost:${KAFKA_PORT:-9092}}" "$@"
