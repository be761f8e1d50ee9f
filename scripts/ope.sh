#!/usr/bin/env bash
# Off-policy evaluation on logged bandit data: scripts/ope.sh open-bandit [--data DIR]   (--help for more)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"
run_tool io.personalize.jobs.tools.OffPolicyEvaluation "$@"
