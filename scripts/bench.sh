#!/usr/bin/env bash
# Benchmark of the whole DAG on the local standalone Flink cluster and Kafka broker: sustained
# throughput (draining a backlog of real events) and event-to-decision latency at a fraction of it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"

events=300000
latency_seconds=30
warmup_seconds=15
fractions=0.5
parallelism=2
soak_minutes=0
out=""
job_options=()
flink_options=()
usage() {
  cat <<USAGE
Usage: $(basename "$0") features [--users 100000,1000000] [--events-per-user N] [--no-peer] ...   (--help for all)
       $(basename "$0") models [--models propensity,churn,sentiment,recommend] [--rows N] [--batch N]   (--help for all)
       $(basename "$0") [all] [--events N] [--latency-seconds S] [--warmup-seconds W] [--load-fractions 0.5,0.9]
                 [--parallelism P] [--soak-minutes M] [--out DIR] [-D KEY=VALUE ...] [-- JOB_OPTIONS...]

Starts Kafka and the Flink cluster if they are not running (and stops them again afterwards),
loads a backlog of N real Online Retail events (default $events) into fresh topics, submits the job
with the Flink CLI, measures how fast it drains the backlog, then sends events at each fraction of
that rate for W + S seconds (defaults $warmup_seconds + $latency_seconds) and measures, over the last S, each event's latency from the
producer's send to the decision reaching a consumer. CPU per 1,000 events is the Flink processes'
CPU time (JobManager and TaskManager, from /proc) while draining. With --soak-minutes M it then runs
M minutes at the first load fraction and reports p50/p99 latency and the TaskManager's heap and RSS
per minute, and whether either grows. Writes a table (bench.md) and a plot (bench.png) to DIR
(default .run/bench/RUN_ID) and ends with one JSON line. Options after -- go to the job as they are
(e.g. -- --buffer-timeout 0ms --kafka.properties.linger.ms 0), and -D KEY=VALUE sets a Flink option for
the job (e.g. -D execution.checkpointing.unaligned.enabled=true), to compare settings.
USAGE
}
if [[ "${1:-}" == "features" ]]; then
  # The feature stage alone, in a local Flink cluster inside one process, against a Flink SQL peer.
  shift
  if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    run_tool io.personalize.jobs.tools.FeatureBench --help
    exit 0
  fi
  # RocksDB and the peer's state want more heap than the tools' default; the RocksDB tuning is the
  # local profile's, which the other profiles share
  TOOL_HEAP=6g run_tool io.personalize.jobs.tools.FeatureBench --work-dir "$RUN_DIR/feature-bench" \
    --flink-conf "$FLINK_CONF_ROOT/local" "$@"
  rm -rf "$RUN_DIR/feature-bench"
  exit 0
fi
if [[ "${1:-}" == "models" ]]; then
  # Each model's scoring: in the job's async operator vs. raw batched DJL vs. a per-record map, in one process.
  shift
  if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    run_tool io.personalize.jobs.tools.ModelBench --help
    exit 0
  fi
  ensure_models
  # one OpenMP thread per XGBoost predictor: on a small machine, spinning OpenMP workers starve the task threads
  OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" TOOL_HEAP=4g run_tool io.personalize.jobs.tools.ModelBench --models-dir "$MODELS_DIR" "$@"
  exit 0
fi
[[ "${1:-}" == "all" ]] && shift
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) events="$2"; shift 2 ;;
    --latency-seconds) latency_seconds="$2"; shift 2 ;;
    --warmup-seconds) warmup_seconds="$2"; shift 2 ;;
    --load-fractions) fractions="$2"; shift 2 ;;
    --parallelism) parallelism="$2"; shift 2 ;;
    --soak-minutes) soak_minutes="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -D) flink_options+=("-D$2"); shift 2 ;;
    -D*) flink_options+=("$1"); shift ;;
    --) shift; job_options=("$@"); break ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

require_java
ensure_job_jar
ensure_runtime flink
ensure_runtime kafka
ensure_models
bootstrap="localhost:${KAFKA_PORT:-9092}"
run_id="bench-$(date +%Y%m%d%H%M%S)"
started_kafka=false
started_flink=false
job_id=""
topics=("$run_id-events" "$run_id-decisions" "$run_id-assignments" "$run_id-dead-letters" "$run_id-audit"
  "$run_id-late-events")
cleanup() {
  trap - EXIT INT TERM
  [[ -n "$job_id" ]] && "$SCRIPTS_DIR/flink.sh" cancel "$job_id" >/dev/null 2>&1 || true
  "$SCRIPTS_DIR/kafka.sh" delete-topics "${topics[@]}" >/dev/null 2>&1 || warn "could not delete the bench topics"
  [[ "$started_flink" == true ]] && "$SCRIPTS_DIR/flink-cluster.sh" stop || true
  [[ "$started_kafka" == true ]] && "$SCRIPTS_DIR/kafka.sh" stop || true
}
trap cleanup EXIT INT TERM
"$SCRIPTS_DIR/kafka.sh" status >/dev/null 2>&1 || { "$SCRIPTS_DIR/kafka.sh" start; started_kafka=true; }
"$SCRIPTS_DIR/flink-cluster.sh" status >/dev/null 2>&1 || { "$SCRIPTS_DIR/flink-cluster.sh" start; started_flink=true; }
"$SCRIPTS_DIR/kafka.sh" create-topics "$run_id-events:4" "$run_id-decisions:4" "$run_id-assignments:4" \
  "$run_id-dead-letters:1" "$run_id-audit:1" "$run_id-late-events:1" >/dev/null

run_tool io.personalize.jobs.tools.Bench load --bootstrap-servers "$bootstrap" --topic "$run_id-events" \
  --events "$events" --run-id "$run_id"
submit_out="$("$SCRIPTS_DIR/flink.sh" run -d -p "$parallelism" "${flink_options[@]}" "$JOB_JAR" --bootstrap-servers "$bootstrap" \
  --models-dir "$MODELS_DIR" --events-topic "$run_id-events" --decisions-topic "$run_id-decisions" \
  --assignments-topic "$run_id-assignments" --dead-letter-topic "$run_id-dead-letters" --group-id "$run_id" \
  --audit-topic "$run_id-audit" --late-events-topic "$run_id-late-events" --control-topic none \
  --starting-offsets earliest --job-name "$run_id" "${job_options[@]}" 2>&1)" || { echo "$submit_out" >&2; die "submission failed"; }
job_id="$(job_id_from "$submit_out")" || { echo "$submit_out" >&2; die "no job id in the CLI output"; }
info "job $job_id submitted (parallelism $parallelism); measuring ..."
# the processes this checkout started (CPU time and memory come from /proc)
usage_args=()
jm_pid="$(read_pid jobmanager)"
tm_pid="$(read_pid taskmanager)"
kafka_pid="$(read_pid kafka)"
[[ -n "$jm_pid" && -n "$tm_pid" ]] && usage_args+=(--job-pids "$jm_pid,$tm_pid" --taskmanager-pid "$tm_pid")
[[ -n "$kafka_pid" ]] && usage_args+=(--broker-pid "$kafka_pid")
run_tool io.personalize.jobs.tools.Bench measure --bootstrap-servers "$bootstrap" --events-topic "$run_id-events" \
  --decisions-topic "$run_id-decisions" --backlog "$events" --run-id "$run_id" \
  --latency-seconds "$latency_seconds" --warmup-seconds "$warmup_seconds" --load-fractions "$fractions" \
  --cores "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)" --clock-ticks "$(getconf CLK_TCK 2>/dev/null || echo 100)" \
  "${usage_args[@]}" --soak-minutes "$soak_minutes" --out "${out:-$RUN_DIR/bench/$run_id}"
