#!/usr/bin/env bash
# Fault test on the local standalone cluster: the job in exactly-once mode under a steady input of
# known events; the TaskManager is killed with SIGKILL (and a new one started, as a supervisor would),
# later the Kafka broker is stopped and started again. The job must recover by itself; at the end a
# read_committed consumer compares the decisions with the input. Ends with one JSON line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"

events=9000
rate=50
kill_after=40
settle=30
broker_down=15
checkpoint_interval=2s
guarantee=EXACTLY_ONCE
parallelism=2
recovery_timeout=300
usage() {
  cat <<USAGE
Usage: $(basename "$0") [--events N] [--rate R] [--kill-after S] [--settle S] [--broker-down S]
                 [--checkpoint-interval D] [--delivery-guarantee EXACTLY_ONCE|AT_LEAST_ONCE] [--parallelism P]

Starts Kafka and the Flink cluster if they are not running (and stops them afterwards if it started
them), creates fresh topics and submits the job (--delivery-guarantee, default $guarantee; checkpoints
every --checkpoint-interval, default $checkpoint_interval). Then it sends N Online Retail events
(default $events) at R per second (default $rate) and, under that steady input:
  1. after --kill-after seconds (default $kill_after), kill -9 the TaskManager process and start a new one
     (scripts/flink-cluster.sh start, as a supervisor would);
  2. once decisions flow again and --settle seconds (default $settle) later, stop the broker
     (scripts/kafka.sh stop), wait --broker-down seconds (default $broker_down) and start it again.
The job recovers by itself (the default restart strategy; nothing is resubmitted).

Recovery time of a fault: from the moment it was injected (the kill; the broker's stop, so the time
it was down is included) until a read_committed consumer sees the decision of an event sent after
that moment: the job runs again, has caught up and commits. The script also prints when the job had
all its tasks RUNNING again.

At the end a fresh read_committed consumer reads the decisions topic and compares the decision ids
with those the input must give (one per event: DecideAndAssign.decisionId(eventId)): expected, seen
(records), lost, duplicated (records beyond the first of an id). The input topic is checked to hold
each event once. Last line:
  {"expected":..,"seen":..,"lost":..,"duplicated":..,"recovery_s":[TaskManager kill, broker restart]}
Exit status 1 if a decision was lost, or (exactly-once) duplicated; 2 if the input itself was not
written once; 3 if the job did not recover within $recovery_timeout s.
USAGE
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) events="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --kill-after) kill_after="$2"; shift 2 ;;
    --settle) settle="$2"; shift 2 ;;
    --broker-down) broker_down="$2"; shift 2 ;;
    --checkpoint-interval) checkpoint_interval="$2"; shift 2 ;;
    --delivery-guarantee) guarantee="$2"; shift 2 ;;
    --parallelism) parallelism="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
for v in events rate kill_after settle broker_down parallelism; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--${v//_/-} must be a whole number, got '${!v}'"
done
[[ "$guarantee" == EXACTLY_ONCE || "$guarantee" == AT_LEAST_ONCE ]] ||
  die "--delivery-guarantee must be EXACTLY_ONCE or AT_LEAST_ONCE"

require_java
ensure_job_jar
ensure_runtime flink
ensure_runtime kafka
ensure_models
bootstrap="localhost:${KAFKA_PORT:-9092}"
run_id="chaos-$(date +%Y%m%d%H%M%S)"
work="$RUN_DIR/$run_id"
mkdir -p "$work"
faults="$work/faults"
progress="$work/progress"
broker_stopped=false
job_id=""
tool_pid=""
outputs=(events decisions assignments dead-letters audit late-events model-monitoring experiment-results
  decisions-for-review decision-audit)
topics=()
for t in "${outputs[@]}"; do topics+=("$run_id-$t"); done

cleanup() {
  trap - EXIT INT TERM
  [[ -n "$tool_pid" ]] && kill "$tool_pid" 2>/dev/null || true
  [[ "$broker_stopped" == true ]] && { "$SCRIPTS_DIR/kafka.sh" start || true; } # interrupted while it was down
  if [[ -n "$job_id" ]]; then
    "$SCRIPTS_DIR/flink.sh" cancel "$job_id" >/dev/null 2>&1 || warn "could not cancel job $job_id"
    rm -rf "$RUN_DIR/flink/checkpoints/$job_id"
  fi
  "$SCRIPTS_DIR/kafka.sh" delete-topics "${topics[@]}" >/dev/null 2>&1 || warn "could not delete the topics of $run_id"
  stop_started_stack
}
trap cleanup EXIT INT TERM
start_local_stack
specs=()
for t in "${topics[@]}"; do
  case "$t" in
    *-events | *-decisions | *-assignments | *-decision-audit) specs+=("$t:4") ;;
    *) specs+=("$t:1") ;;
  esac
done
"$SCRIPTS_DIR/kafka.sh" create-topics "${specs[@]}" >/dev/null
flink_select_conf "" yes
rest="$(flink_rest_url)"

submit_out="$("$SCRIPTS_DIR/flink.sh" run -d -p "$parallelism" -Dexecution.checkpointing.interval="$checkpoint_interval" \
  "$JOB_JAR" --bootstrap-servers "$bootstrap" --models-dir "$MODELS_DIR" --job-name "$run_id" \
  --events-topic "$run_id-events" --decisions-topic "$run_id-decisions" --assignments-topic "$run_id-assignments" \
  --dead-letter-topic "$run_id-dead-letters" --audit-topic "$run_id-audit" --late-events-topic "$run_id-late-events" \
  --monitoring-topic "$run_id-model-monitoring" --experiment-results-topic "$run_id-experiment-results" \
  --review-topic "$run_id-decisions-for-review" --decision-audit-topic "$run_id-decision-audit" --control-topic none \
  --group-id "$run_id" --transactional-id-prefix "$run_id" --starting-offsets earliest \
  --delivery-guarantee "$guarantee" 2>&1)" || { echo "$submit_out" >&2; die "submission failed"; }
job_id="$(job_id_from "$submit_out")" || { echo "$submit_out" >&2; die "no job id in the CLI output"; }

# True when the job runs and every one of its tasks is RUNNING (or FINISHED: without a control topic
# the job's empty control source ends at once).
all_running() {
  local body
  body="$(http_get "$rest/jobs/$job_id" 2>/dev/null)" || return 1
  [[ "$body" == *'"state":"RUNNING"'* ]] || return 1
  ! grep -o '"status":"[A-Z_]*"' <<<"$body" | grep -qvE '"status":"(RUNNING|FINISHED)"'
}
deadline=$((SECONDS + 180))
until all_running; do
  ((SECONDS < deadline)) || die "job $job_id did not get all its tasks RUNNING within 180 s"
  sleep 1
done
info "job $job_id RUNNING ($guarantee, checkpoints every $checkpoint_interval, parallelism $parallelism)"

strict=()
[[ "$guarantee" == EXACTLY_ONCE ]] && strict=(--exactly-once)
tool_cmd io.personalize.jobs.tools.ChaosRun --bootstrap-servers "$bootstrap" --events-topic "$run_id-events" \
  --decisions-topic "$run_id-decisions" --events "$events" --rate "$rate" --faults "$faults" \
  --faults-done "$work/faults-done" --progress "$progress" "${strict[@]}"
"${TOOL_CMD[@]}" >"$work/result" 2>"$work/chaos-run.log" &
tool_pid=$!

progress_value() { awk -v k="$1" '$1 == k { print $2 }' "$progress" 2>/dev/null; }
tool_alive() { kill -0 "$tool_pid" 2>/dev/null || { tail -n 30 "$work/chaos-run.log" >&2; die "the measuring tool exited early"; }; }

# Waits until the fault recorded on line N of the faults file has a recovery time; meanwhile notes
# when the job had every task RUNNING again (after leaving that state).
recovery_times=()
await_recovery() {
  local n="$1" since="$2" left=false running_after="" line value
  local deadline=$((SECONDS + recovery_timeout))
  while true; do
    tool_alive
    if all_running; then
      [[ "$left" == true && -z "$running_after" ]] && running_after="$(elapsed_since "$since")"
    else
      left=true
    fi
    line="$(awk '$1 == "fault"' "$progress" 2>/dev/null | sed -n "${n}p")"
    value="$(awk '{ print $3 }' <<<"$line")"
    if [[ -n "$value" && "$value" != pending ]]; then
      recovery_times+=("$value")
      info "  recovered: a decision of an event sent after the fault committed ${value}s after it" \
        "(tasks all RUNNING again after ${running_after:-"? (never seen leaving RUNNING)"})"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      warn "no recovery within ${recovery_timeout}s (see .run/logs/jobmanager.log, taskmanager.log)"
      exit 3
    fi
    sleep 0.5
  done
}

started_input=$SECONDS
until [[ "$(progress_value committed)" =~ ^[1-9] ]]; do
  tool_alive
  ((SECONDS - started_input < 180)) || die "no decision committed within 180 s of the input's start"
  sleep 0.5
done
info "decisions are being committed; the TaskManager is killed ${kill_after}s after the input started"
while ((SECONDS - started_input < kill_after)); do tool_alive; sleep 0.5; done

tm_pid="$(read_pid taskmanager)"
[[ -n "$tm_pid" ]] || die "no TaskManager pid in $(pid_file taskmanager)"
t="$(now_ms)"
kill -9 "$tm_pid"
echo "$t taskmanager-kill-9" >>"$faults"
info "fault 1: kill -9 TaskManager (pid $tm_pid) at $(progress_value sent) events sent; starting a new one ..."
"$SCRIPTS_DIR/flink-cluster.sh" start >/dev/null
await_recovery 1 "$t"

info "steady again; the broker is stopped in ${settle}s"
sleep "$settle"
sent="$(progress_value sent)"
if ((events - sent < rate * (broker_down + 20))); then
  warn "only $((events - sent)) events are left to send: the broker restart may not be measurable (raise --events)"
fi
t="$(now_ms)"
echo "$t kafka-broker-stop-and-start" >>"$faults"
info "fault 2: stopping the Kafka broker at $sent events sent, starting it again after ${broker_down}s ..."
broker_stopped=true
"$SCRIPTS_DIR/kafka.sh" stop
sleep "$broker_down"
"$SCRIPTS_DIR/kafka.sh" start
broker_stopped=false
info "  the broker was unavailable for $(elapsed_since "$t") (from its stop until it was ready again)"
await_recovery 2 "$t"
touch "$work/faults-done"

info "faults done; waiting for the rest of the input and every decision ..."
rc=0
wait "$tool_pid" || rc=$?
tool_pid=""
# the tool's own account (its full log, Kafka clients' retries during the outage included, is in the work dir)
grep '^chaos-run:' "$work/chaos-run.log" | sed 's/^/  /' >&2
info "recovery times (s): ${recovery_times[*]}; files in ${work#"$REPO_ROOT"/}"
tail -n1 "$work/result"
exit "$rc"
