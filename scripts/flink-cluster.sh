#!/usr/bin/env bash
# A local Flink 2.2 standalone session cluster (1 JobManager + 1 TaskManager) from Maven Central jars.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<EOF
Usage: $(basename "$0") [--profile NAME] start|stop|status|restart

A local Flink 2.2 standalone session cluster: one JobManager
(StandaloneSessionClusterEntrypoint) and one TaskManager (TaskManagerRunner), two background JVMs
run from the jars that scripts/runtime/flink/pom.xml fetches from Maven Central (no Flink
distribution needed). Submit jobs with scripts/flink.sh.

Commands:
  start     start both processes (only those not already running); waits until the TaskManager
            has registered and prints the web UI URL
  stop      stop both (SIGTERM, then SIGKILL after \$FLINK_STOP_TIMEOUT s)
  status    show the processes and the cluster overview (exit 0 if both run, 3 otherwise)
  restart   stop, then start

Options:
  --profile NAME   configuration flink-conf/NAME (available: $(flink_profiles)); default: local,
                   or \$FLINK_CONF_DIR when set
  -h, --help       this help

Environment:
  FLINK_CONF_DIR        a configuration directory to use instead of flink-conf/<profile>
  FLINK_ENV_JAVA_OPTS   extra JVM options for both processes
  OMP_NUM_THREADS       OpenMP threads per XGBoost predictor              (default 1)
  FLINK_START_TIMEOUT   seconds to wait for the cluster                 (default 120)
  FLINK_STOP_TIMEOUT    seconds before SIGKILL on stop                   (default 30)
  PERSONALIZE_RUN_DIR   run dir                                          (default <repo>/.run)

Files: effective configuration .run/flink-conf/<profile>/ (placeholders @RUN_DIR@ / @REPO_ROOT@
replaced), logs .run/logs/jobmanager.log and taskmanager.log (stdout/stderr: *.out, also shown in
the web UI), pids .run/pids/, checkpoints and savepoints of the local profile in .run/flink/.
EOF
}

FLINK_START_TIMEOUT="${FLINK_START_TIMEOUT:-120}"
FLINK_STOP_TIMEOUT="${FLINK_STOP_TIMEOUT:-30}"
JM_CLASS=org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint
TM_CLASS=org.apache.flink.runtime.taskexecutor.TaskManagerRunner
# One OpenMP thread per XGBoost predictor (each scoring subtask has its own scorer thread already):
# spinning OpenMP workers starved the task threads on a small machine.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
# Matched against the command lines of the recorded pids: only this checkout's processes.
JM_MATCH="$JM_CLASS --configDir $FLINK_EFFECTIVE_ROOT/"
TM_MATCH="$TM_CLASS --configDir $FLINK_EFFECTIVE_ROOT/"
JM_LOG="$LOG_DIR/jobmanager.log"
TM_LOG="$LOG_DIR/taskmanager.log"

# Starts one Flink process: start_flink_process jobmanager|taskmanager CLASS RESOURCE_COMMAND [-D key=value ...]
start_flink_process() {
  local component="$1" class="$2" resource_cmd="$3"
  shift 3
  local params jvm_line dynamic_line
  params="$(flink_bash_java_utils "$resource_cmd")"
  jvm_line="$(sed -n 1p <<<"$params")"
  dynamic_line="$(sed -n 2p <<<"$params")"
  [[ "$jvm_line" == *-Xmx* ]] || die "unexpected output of BashJavaUtils $resource_cmd: $params"
  local jvm_args dynamic_args
  # shellcheck disable=SC2206
  jvm_args=($jvm_line)
  # shellcheck disable=SC2206
  dynamic_args=($dynamic_line)
  flink_java_opts "$component"
  local log4j_conf="$FLINK_EFFECTIVE_CONF/log4j.properties"
  [[ -f "$log4j_conf" ]] || warn "no log4j.properties in $FLINK_EFFECTIVE_CONF: the $component will not log to a file"
  start_background "$component" "$LOG_DIR/$component.out" \
    "$JAVA" "${jvm_args[@]}" "${FLINK_JAVA_OPTS[@]}" \
    -Dlog.file="$LOG_DIR/$component.log" \
    -Dlog4j.configuration="file:$log4j_conf" -Dlog4j.configurationFile="file:$log4j_conf" \
    -cp "$(runtime_classpath flink)" "$class" --configDir "$FLINK_EFFECTIVE_CONF" \
    ${dynamic_args[@]+"${dynamic_args[@]}"} "$@"
}

# True when the REST API at URL lists a TaskManager: the one with resource id ID if given, else any.
# (After a TaskManager crash the JobManager lists the dead one until its heartbeat times out.)
taskmanager_registered() {
  local url="$1" id="${2:-}" body
  body="$(http_get "$url/taskmanagers" 2>/dev/null)" || return 1
  if [[ -n "$id" ]]; then
    grep -qF "\"id\":\"$id\"" <<<"$body"
  else
    grep -q '"id":' <<<"$body"
  fi
}

cmd_start() {
  local profile="$1" jm_pid="" tm_pid=""
  jm_pid="$(running_pid jobmanager "$JM_MATCH")" || true
  tm_pid="$(running_pid taskmanager "$TM_MATCH")" || true

  if [[ -n "$jm_pid" || -n "$tm_pid" ]] && flink_read_cluster_record; then
    # Part of the cluster runs: keep its configuration.
    if [[ -n "$profile" && "$profile" != "$FLINK_CONF_NAME" ]]; then
      die "the cluster is running with profile '$FLINK_CONF_NAME'; stop it first to switch to '$profile'"
    fi
    if [[ -n "$jm_pid" && -n "$tm_pid" ]]; then
      info "Flink cluster is already running (JobManager pid $jm_pid, TaskManager pid $tm_pid, profile $FLINK_CONF_NAME)"
      echo "Flink web UI: $(flink_rest_url)"
      return 0
    fi
  else
    flink_select_conf "$profile" no
  fi
  require_java
  ensure_runtime flink
  ensure_run_dirs

  local url t0
  url="$(flink_rest_url)"
  t0="$(now_ms)"
  if [[ -z "$jm_pid" ]]; then
    local rest_port rpc_port
    rest_port="$(flink_conf_get rest.port 8081)"
    rpc_port="$(flink_conf_get jobmanager.rpc.port 6123)"
    for port in "$rest_port" "$rpc_port"; do
      if [[ "$port" =~ ^[0-9]+$ ]] && port_open localhost "$port"; then
        die "port $port is already in use by another process (is another Flink cluster running?)"
      fi
    done
    info "starting JobManager (profile $FLINK_CONF_NAME, conf ${FLINK_EFFECTIVE_CONF#"$REPO_ROOT"/}) ..."
    start_flink_process jobmanager "$JM_CLASS" GET_JM_RESOURCE_PARAMS
    jm_pid="$(read_pid jobmanager)"
  fi
  flink_write_cluster_record
  local tm_id=""
  if [[ -z "$tm_pid" ]]; then
    info "starting TaskManager ..."
    tm_id="localhost-tm-$(date +%Y%m%d-%H%M%S)"
    start_flink_process taskmanager "$TM_CLASS" GET_TM_RESOURCE_PARAMS -D "taskmanager.resource-id=$tm_id"
    tm_pid="$(read_pid taskmanager)"
  fi

  # Ready when the REST API answers and lists the (new) TaskManager.
  local deadline=$((SECONDS + FLINK_START_TIMEOUT))
  while true; do
    if taskmanager_registered "$url" "$tm_id"; then
      break
    fi
    local failed=""
    kill -0 "$jm_pid" 2>/dev/null || failed=jobmanager
    kill -0 "$tm_pid" 2>/dev/null || failed="${failed:+$failed and }taskmanager"
    if [[ -n "$failed" || $SECONDS -ge $deadline ]]; then
      show_log_tail "$LOG_DIR/jobmanager.out" 10
      show_log_tail "$JM_LOG" 25
      show_log_tail "$LOG_DIR/taskmanager.out" 10
      show_log_tail "$TM_LOG" 25
      stop_process taskmanager "$TM_MATCH" 10 || true
      stop_process jobmanager "$JM_MATCH" 10 || true
      rm -f "$(pid_file jobmanager)" "$(pid_file taskmanager)" "$FLINK_CLUSTER_RECORD"
      if [[ -n "$failed" ]]; then
        die "the $failed exited during startup (logs: $JM_LOG, $TM_LOG)"
      fi
      die "the cluster was not ready within ${FLINK_START_TIMEOUT}s (logs: $JM_LOG, $TM_LOG)"
    fi
    sleep 0.5
  done
  info "Flink cluster is ready: JobManager pid $jm_pid, TaskManager pid $tm_pid (started in $(elapsed_since "$t0"))"
  echo "Flink web UI: $url"
}

cmd_stop() {
  local stopped=0
  # TaskManager first, so that it does not keep trying to reconnect to a gone JobManager.
  stop_process taskmanager "$TM_MATCH" "$FLINK_STOP_TIMEOUT" && stopped=1
  stop_process jobmanager "$JM_MATCH" "$FLINK_STOP_TIMEOUT" && stopped=1
  rm -f "$FLINK_CLUSTER_RECORD"
  ((stopped)) || info "Flink cluster is not running"
  return 0
}

cmd_status() {
  local jm_pid="" tm_pid="" rc=0
  jm_pid="$(running_pid jobmanager "$JM_MATCH")" || true
  tm_pid="$(running_pid taskmanager "$TM_MATCH")" || true
  local name pid
  for name in JobManager TaskManager; do
    pid="$jm_pid"
    [[ "$name" == TaskManager ]] && pid="$tm_pid"
    if [[ -n "$pid" ]]; then
      printf '%-13s%s\n' "$name:" "running (pid $pid)"
    else
      printf '%-13s%s\n' "$name:" "not running"
    fi
  done
  [[ -n "$jm_pid" && -n "$tm_pid" ]] || rc=3
  if [[ -n "$jm_pid" ]] && flink_read_cluster_record; then
    local url overview
    url="$(flink_rest_url)"
    echo "Profile:     $FLINK_CONF_NAME ($FLINK_EFFECTIVE_CONF)"
    echo "Web UI:      $url"
    if overview="$(http_get "$url/overview" 2>/dev/null)"; then
      echo "Overview:    $overview"
    else
      echo "Overview:    REST API not reachable at $url"
    fi
  fi
  return "$rc"
}

main() {
  local profile="" cmd=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --profile)
        [[ $# -ge 2 ]] || die "--profile needs a value"
        profile="$2"
        shift 2
        ;;
      --profile=*)
        profile="${1#--profile=}"
        shift
        ;;
      -h | --help | help)
        usage
        return 0
        ;;
      -*)
        usage >&2
        die "unknown option '$1'"
        ;;
      *)
        [[ -z "$cmd" ]] || die "unexpected argument '$1'"
        cmd="$1"
        shift
        ;;
    esac
  done
  case "$cmd" in
    start) cmd_start "$profile" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    restart)
      cmd_stop
      cmd_start "$profile"
      ;;
    "")
      usage >&2
      exit 2
      ;;
    *)
      usage >&2
      die "unknown command '$cmd'"
      ;;
  esac
}

main "$@"
