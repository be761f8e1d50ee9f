#!/usr/bin/env bash
# Runs every test: unit, operator-harness and end-to-end (in-JVM Kafka broker + Flink MiniCluster with RocksDB).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -d ../shared/data ]] || { echo "test.sh: ../shared (data and conformance files) must be beside the checkout" >&2; exit 1; }
export OPT_OUT_TRACKING=true
exec "${MVN:-mvn}" -B verify "$@"
