#!/usr/bin/env bash
# One command from a fresh clone to a running engine: builds what is missing, trains the default
# models if absent, starts a real Kafka broker and a local Flink cluster (web UI on :8081), submits
# the job with the Flink CLI, replays real Online Retail purchases (plus a few malformed records)
# and prints decisions as they arrive. Stops everything after --duration seconds or on Ctrl-C.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"

duration=0
rate=200
malformed_every=500
keep_running=false
show=decisions
usage() {
  cat <<USAGE
Usage: $(basename "$0") [--duration SECONDS] [--rate EVENTS_PER_S] [--malformed-every N] [--show TOPIC] [--keep-running]

  --duration SECONDS     stop everything cleanly after this long (default: run until Ctrl-C)
  --rate N               replay speed in events per second (default: $rate)
  --malformed-every N    one malformed record after every N events, to show the dead-letter path (default: $malformed_every; 0: none)
  --show TOPIC           topic printed as JSON while running (default: $show)
  --keep-running         leave Kafka, the Flink cluster and the job running on exit

Kafka: localhost:\${KAFKA_PORT:-9092}; Flink web UI: http://localhost:8081; logs in .run/logs/.
USAGE
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --malformed-every) malformed_every="$2"; shift 2 ;;
    --show) show="$2"; shift 2 ;;
    --keep-running) keep_running=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ "$duration" =~ ^[0-9]+$ ]] || die "--duration must be a whole number of seconds"

require_java
ensure_run_dirs
bootstrap="localhost:${KAFKA_PORT:-9092}"
job_id=""
replay_pid=""
consumer_pid=""

cleanup() {
  trap - EXIT INT TERM
  local pid
  for pid in $replay_pid $consumer_pid; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  summary
  if [[ "$keep_running" == true ]]; then
    info "left running: Kafka on $bootstrap, Flink at http://localhost:8081 (job ${job_id:-?})"
    return
  fi
  if [[ -n "$job_id" ]]; then
    info "cancelling job $job_id ..."
    "$SCRIPTS_DIR/flink.sh" cancel "$job_id" >/dev/null 2>&1 || warn "could not cancel job $job_id"
  fi
  "$SCRIPTS_DIR/flink-cluster.sh" stop || true
  "$SCRIPTS_DIR/kafka.sh" stop || true
}

summary() {
  [[ -n "$job_id" ]] || return 0
  local topic count stop_at
  info "records this run wrote to the output topics (each decoded with the .avsc files only):"
  for topic in decisions experiment-assignments dead-letters audit late-events; do
    # decisions are read until none came for 3 s, so a job still catching up is waited for; the
    # other topics are then read to their end
    stop_at=(--to-end)
    [[ "$topic" == decisions ]] && stop_at=(--timeout 3)
    # ConsumeTopic exits non-zero when some records do not decode; its last line says how many, and
    # the clean-up that runs after this summary must still stop the cluster and the broker
    count="$({ run_tool io.personalize.jobs.tools.ConsumeTopic --schemas "$SCHEMAS_DIR" --schema-history "$SCHEMA_HISTORY_DIR" --bootstrap-servers "$bootstrap" \
      --since "$started" "${stop_at[@]}" "$topic" 2>"$LOG_DIR/consume-$topic.err" || true; } | wc -l)"
    info "  $topic: $count ($(tail -n1 "$LOG_DIR/consume-$topic.err"))"
  done
}

started=$(now_ms)
ensure_job_jar
ensure_runtime flink
ensure_runtime kafka
ensure_models
"$SCRIPTS_DIR/kafka.sh" start
trap cleanup EXIT INT TERM
"$SCRIPTS_DIR/kafka.sh" create-topics user-events:4 decisions:4 experiment-assignments:4 dead-letters:1 \
  control:1 audit:1 late-events:1 model-monitoring:1 experiment-results:1 decisions-for-review:1 decision-audit:4
"$SCRIPTS_DIR/flink-cluster.sh" start

info "submitting the job with the Flink CLI ..."
submit_out="$("$SCRIPTS_DIR/flink.sh" run -d -p 2 "$JOB_JAR" \
  --bootstrap-servers "$bootstrap" --models-dir "$MODELS_DIR" --starting-offsets latest 2>&1)" ||
  { echo "$submit_out" >&2; die "job submission failed"; }
job_id="$(job_id_from "$submit_out")" || { echo "$submit_out" >&2; die "no job id in the CLI output"; }
wait_for_http "http://localhost:8081/jobs/$job_id" 60 "" '"state":"RUNNING"' || die "job $job_id is not RUNNING"
info "job $job_id RUNNING after $(elapsed_since "$started") -- web UI: http://localhost:8081/#/job/running/$job_id/overview"

tool_cmd io.personalize.jobs.tools.ConsumeTopic --schemas "$SCHEMAS_DIR" --schema-history "$SCHEMA_HISTORY_DIR" --bootstrap-servers "$bootstrap" "$show"
"${TOOL_CMD[@]}" &
consumer_pid=$!
sleep 3
tool_cmd io.personalize.jobs.tools.ReplayEvents --bootstrap-servers "$bootstrap" --rate "$rate" \
  --malformed-every "$malformed_every"
"${TOOL_CMD[@]}" >"$LOG_DIR/replay.out" 2>&1 &
replay_pid=$!
info "replaying Online Retail purchases at $rate events/s (log: .run/logs/replay.out); Ctrl-C stops everything"

if ((duration > 0)); then
  end=$((SECONDS + duration))
  while ((SECONDS < end)); do
    sleep 1
    state="$(http_get "http://localhost:8081/jobs/$job_id" 2>/dev/null || true)"
    [[ "$state" == *'"state":"RUNNING"'* ]] || die "job $job_id is no longer RUNNING (see the web UI and .run/logs/)"
  done
  info "--duration $duration reached"
else
  wait "$consumer_pid"
fi
