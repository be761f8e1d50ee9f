#!/usr/bin/env bash
# The Flink 2.2 command-line client (bin/flink), run from Maven Central jars.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<EOF
Usage: $(basename "$0") [--profile NAME] ACTION [OPTIONS] [ARGS...]

Flink's own command-line client (org.apache.flink.client.cli.CliFrontend, what bin/flink runs),
with FLINK_CONF_DIR set to the configuration of the cluster started by scripts/flink-cluster.sh.
Everything after the optional --profile is passed to Flink unchanged.

Examples:
  $(basename "$0") run -d path/to/job.jar --arg value      submit a job (detached)
  $(basename "$0") list                                    running and scheduled jobs
  $(basename "$0") list -a                                 all jobs, including finished ones
  $(basename "$0") cancel JOB_ID
  $(basename "$0") stop --savepointPath file:///tmp/sp JOB_ID   stop with a savepoint
  $(basename "$0") savepoint JOB_ID [TARGET_DIR]
  $(basename "$0") run --help                              Flink's help for an action

Options:
  --profile NAME   use flink-conf/NAME (available: $(flink_profiles)); by default the running
                   cluster's configuration, else \$FLINK_CONF_DIR, else flink-conf/local
  -h, --help       this help

Environment:
  FLINK_CONF_DIR        a configuration directory to use instead of flink-conf/<profile>
  FLINK_ENV_JAVA_OPTS   extra JVM options for the client
  PERSONALIZE_RUN_DIR   run dir (default <repo>/.run)

The client logs to .run/logs/flink-cli.log; only warnings and errors reach the console.
EOF
}

main() {
  local profile=""
  case "${1:-}" in
    -h | --help | "")
      usage
      [[ $# -gt 0 ]] || exit 2
      return 0
      ;;
    --profile)
      [[ $# -ge 2 ]] || die "--profile needs a value"
      profile="$2"
      shift 2
      ;;
    --profile=*)
      profile="${1#--profile=}"
      shift
      ;;
  esac
  [[ $# -gt 0 ]] || die "no action given (try: $(basename "$0") --help)"

  require_java
  ensure_runtime flink
  ensure_run_dirs
  flink_select_conf "$profile" yes
  flink_java_opts client
  local log4j_conf="$FLINK_EFFECTIVE_CONF/log4j-cli.properties"
  local log4j=()
  if [[ -f "$log4j_conf" ]]; then
    log4j=(-Dlog4j.configuration="file:$log4j_conf" -Dlog4j.configurationFile="file:$log4j_conf")
  fi

  # Actions that talk to the cluster: fail with a clear message (not a stack trace) when it is down,
  # unless the arguments point somewhere else.
  case "$1" in
    run | list | cancel | stop | savepoint)
      local arg remote=no url
      for arg in "$@"; do
        case "$arg" in
          -m | --jobmanager | -m* | --jobmanager=* | -t | --target | -t* | --target=* | -Drest.* | -Djobmanager.rpc.*) remote=yes ;;
          --help | -h) remote=yes ;;
        esac
      done
      url="$(flink_rest_url)"
      if [[ "$remote" == no ]] && ! http_get "$url/config" >/dev/null 2>&1; then
        die "no Flink cluster answers at $url (start one with: $SCRIPTS_DIR/flink-cluster.sh start)"
      fi
      ;;
  esac

  # Relative paths in the arguments (job jars, savepoint dirs) keep working: the current
  # directory is not changed.
  FLINK_CONF_DIR="$FLINK_EFFECTIVE_CONF" exec "$JAVA" -Xmx512m "${FLINK_JAVA_OPTS[@]}" \
    -Dlog.file="$LOG_DIR/flink-cli.log" ${log4j[@]+"${log4j[@]}"} \
    -cp "$(runtime_classpath flink)" org.apache.flink.client.cli.CliFrontend "$@"
}

main "$@"
