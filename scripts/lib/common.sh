# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Source it; do not run it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#
# Layout (all relative to the repository root, found from this file's location):
#   scripts/runtime/<name>/pom.xml     standalone poms that copy runtime jars to target/lib
#   .run/                              run dir (git-ignored): pids/, logs/, kafka/, flink/, flink-conf/
#
# Environment:
#   PERSONALIZE_RUN_DIR   run dir (default: <repo>/.run)
#   JAVA_HOME             JDK to use (default: `java` on PATH); JDK 17+ required
#   MVN                   Maven command (default: mvn)

if [[ -n "${_PERSONALIZE_COMMON_SH:-}" ]]; then
  return 0
fi
_PERSONALIZE_COMMON_SH=1

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
SCRIPTS_DIR="$REPO_ROOT/scripts"
RUN_DIR="${PERSONALIZE_RUN_DIR:-$REPO_ROOT/.run}"
[[ "$RUN_DIR" == /* ]] || RUN_DIR="$PWD/$RUN_DIR"
PID_DIR="$RUN_DIR/pids"
LOG_DIR="$RUN_DIR/logs"

# Flink's default JVM options for Java 17 (env.java.default-opts.all in Flink 2.x's config.yaml).
# Every JVM that runs Flink code (JobManager, TaskManager, CLI, BashJavaUtils) gets them.
FLINK_JAVA_DEFAULT_OPTS=(
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)
# The same list as one string, e.g. for a config.yaml value.
# shellcheck disable=SC2034
FLINK_JAVA_DEFAULT_OPTS_STRING="${FLINK_JAVA_DEFAULT_OPTS[*]}"

# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------

_prog() { basename "${0:-script}"; }

info() { printf '%s: %s\n' "$(_prog)" "$*" >&2; }

warn() { printf '%s: warning: %s\n' "$(_prog)" "$*" >&2; }

die() {
  printf '%s: error: %s\n' "$(_prog)" "$*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Java and Maven
# ---------------------------------------------------------------------------------------------

# Sets JAVA to the java binary and checks it is 17 or newer.
require_java() {
  if [[ -n "${JAVA:-}" ]]; then
    return 0
  fi
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA="$(command -v java)"
  else
    die "java not found: install a JDK 17+ or set JAVA_HOME"
  fi
  local version major
  version="$("$JAVA" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
  major="${version%%.*}"
  if [[ "$major" == "1" ]]; then
    major="$(echo "$version" | cut -d. -f2)"
  fi
  if ! [[ "$major" =~ ^[0-9]+$ ]] || ((major < 17)); then
    die "$JAVA is Java '${version:-unknown}'; Java 17 or newer is required (set JAVA_HOME)"
  fi
}

# runtime_lib_dir kafka|flink -> prints scripts/runtime/<name>/target/lib
runtime_lib_dir() {
  printf '%s/runtime/%s/target/lib' "$SCRIPTS_DIR" "$1"
}

# ensure_runtime kafka|flink
# Copies the runtime jars with Maven (once): only when target/lib is missing or empty.
ensure_runtime() {
  local name="$1"
  local pom="$SCRIPTS_DIR/runtime/$name/pom.xml"
  local lib
  lib="$(runtime_lib_dir "$name")"
  [[ -f "$pom" ]] || die "no runtime pom for '$name': $pom"
  if [[ -d "$lib" ]] && compgen -G "$lib/*.jar" >/dev/null && [[ ! "$pom" -nt "$lib" ]]; then
    return 0
  fi
  rm -rf "$lib" # absent, or its pom changed since
  local mvn="${MVN:-mvn}"
  command -v "$mvn" >/dev/null 2>&1 || die "Maven ('$mvn') not found; it is needed once to fetch the $name jars"
  info "fetching $name runtime jars into ${lib#"$REPO_ROOT"/} (first run only) ..."
  ensure_run_dirs
  local mvn_log="$LOG_DIR/mvn-runtime-$name.log"
  if ! "$mvn" -B -q -f "$pom" package >"$mvn_log" 2>&1; then
    rm -rf "$lib"
    show_log_tail "$mvn_log" 30
    die "'$mvn -q -f $pom package' failed (full output: $mvn_log)"
  fi
  compgen -G "$lib/*.jar" >/dev/null || die "no jars in $lib after the Maven run"
  touch "$lib"
}

# runtime_classpath kafka|flink -> a classpath with a wildcard the JVM expands
runtime_classpath() {
  printf '%s/*' "$(runtime_lib_dir "$1")"
}

# ---------------------------------------------------------------------------------------------
# Run dir and processes
# ---------------------------------------------------------------------------------------------

ensure_run_dirs() {
  mkdir -p "$PID_DIR" "$LOG_DIR"
}

pid_file() { printf '%s/%s.pid' "$PID_DIR" "$1"; }

# read_pid NAME -> prints the pid recorded for NAME (empty if none)
read_pid() {
  local f
  f="$(pid_file "$1")"
  if [[ -f "$f" ]]; then
    tr -dc '0-9' <"$f"
  fi
}

# process_cmdline PID -> the command line of a live process (empty if gone)
process_cmdline() {
  local pid="$1"
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true
  else
    ps -p "$pid" -o args= 2>/dev/null || true
  fi
}

# pid_alive PID MATCH: true if PID is alive and its command line contains MATCH
# (guards against a stale pid file whose pid was reused by another program).
pid_alive() {
  local pid="$1" match="$2"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(process_cmdline "$pid")" == *"$match"* ]]
}

# running_pid NAME MATCH -> prints the pid of NAME if it is running; removes a stale pid file.
running_pid() {
  local name="$1" match="$2" pid
  pid="$(read_pid "$name")"
  if pid_alive "$pid" "$match"; then
    printf '%s' "$pid"
    return 0
  fi
  rm -f "$(pid_file "$name")"
  return 1
}

# start_background NAME OUTFILE CMD... : starts CMD detached from the terminal (its own session
# when setsid is available, stdin from /dev/null, stdout+stderr appended to OUTFILE) and records
# its pid. The process writes its own pid before exec'ing CMD, so the pid is right even if setsid
# has to fork.
start_background() {
  local name="$1" out="$2"
  shift 2
  ensure_run_dirs
  local pf launcher=()
  pf="$(pid_file "$name")"
  rm -f "$pf"
  if command -v setsid >/dev/null 2>&1; then
    launcher=(setsid)
  fi
  # shellcheck disable=SC2016
  nohup ${launcher[@]+"${launcher[@]}"} bash -c 'echo "$$" >"$0" && exec "$@"' "$pf" "$@" \
    </dev/null >>"$out" 2>&1 &
  local i
  for ((i = 0; i < 200; i++)); do
    [[ -s "$pf" ]] && return 0
    sleep 0.05
  done
  die "could not start $name (see $out)"
}

# stop_process NAME MATCH [TIMEOUT_SECONDS]
# SIGTERM, wait up to TIMEOUT (default 30), then SIGKILL. Returns 0 if it was running.
stop_process() {
  local name="$1" match="$2" timeout="${3:-30}" pid
  if ! pid="$(running_pid "$name" "$match")"; then
    return 1
  fi
  info "stopping $name (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= timeout * 10)); then
      warn "$name (pid $pid) did not stop within ${timeout}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$(pid_file "$name")"
  info "$name stopped"
  return 0
}

# ---------------------------------------------------------------------------------------------
# Waiting for ports and URLs
# ---------------------------------------------------------------------------------------------

# port_open HOST PORT: true if something accepts TCP connections there.
port_open() {
  local host="$1" port="$2"
  if command -v timeout >/dev/null 2>&1; then
    timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
  else
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
  fi
}

# http_get URL: prints the response body (exit status non-zero on connection failure or HTTP >= 400).
# Uses curl when available, else a minimal HTTP/1.0 client on bash's /dev/tcp (http://host:port/path only).
http_get() {
  local url="$1"
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 5 "$url"
    return
  fi
  local rest="${url#http://}" hostport path host port
  hostport="${rest%%/*}"
  path="/${rest#*/}"
  [[ "$rest" == */* ]] || path="/"
  host="${hostport%%:*}"
  port="${hostport##*:}"
  [[ "$port" != "$hostport" ]] || port=80
  local response
  response="$(
    exec 3<>"/dev/tcp/$host/$port" 2>/dev/null || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
    timeout 5 cat <&3
  )" || return 1
  local status
  status="$(printf '%s' "$response" | head -n1 | awk '{print $2}')"
  [[ "$status" =~ ^[23] ]] || return 1
  printf '%s' "$response" | sed '1,/^\r\{0,1\}$/d'
}

# wait_for_port HOST PORT TIMEOUT_SECONDS [PID]: waits until HOST:PORT accepts connections.
# Fails early if PID (the process that should open it) dies.
wait_for_port() {
  local host="$1" port="$2" timeout="$3" pid="${4:-}"
  local deadline=$((SECONDS + timeout))
  until port_open "$host" "$port"; do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      return 2
    fi
    ((SECONDS < deadline)) || return 1
    sleep 0.3
  done
}

# wait_for_http URL TIMEOUT_SECONDS [PID] [GREP_PATTERN]: waits until URL answers (and, if given,
# its body matches the extended regex GREP_PATTERN). Fails early if PID dies.
wait_for_http() {
  local url="$1" timeout="$2" pid="${3:-}" pattern="${4:-}"
  local deadline=$((SECONDS + timeout)) body
  while true; do
    if body="$(http_get "$url" 2>/dev/null)"; then
      if [[ -z "$pattern" ]] || grep -Eq "$pattern" <<<"$body"; then
        return 0
      fi
    fi
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      return 2
    fi
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# Prints the last lines of a log file to stderr (for failed starts).
show_log_tail() {
  local file="$1" lines="${2:-30}"
  if [[ -s "$file" ]]; then
    printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2
    printf -- '-----\n' >&2
  fi
}

# Elapsed time since a start mark made with `start_mark=$(now_ms)`.
now_ms() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    local t="${EPOCHREALTIME/[.,]/}"
    printf '%s' "${t:0:${#t}-3}"
  else
    printf '%s000' "$(date +%s)"
  fi
}
elapsed_since() {
  local start="$1" end
  end="$(now_ms)"
  awk -v d="$((end - start))" 'BEGIN { printf "%.1fs", d / 1000 }'
}

# ---------------------------------------------------------------------------------------------
# Flink configuration
# ---------------------------------------------------------------------------------------------
#
# Source configuration dirs: flink-conf/<profile>/ (config.yaml, log4j*.properties), or $FLINK_CONF_DIR.
# The scripts never hand those to Flink directly: they generate an effective copy in
# .run/flink-conf/<name>/ with @RUN_DIR@ and @REPO_ROOT@ replaced by absolute paths, plus a flattened
# view of config.yaml (.run/flink-conf/<name>.flat.yaml, "key: value" lines) for the scripts to read.
# The running cluster records which effective dir it uses in .run/flink-conf/cluster, so that
# scripts/flink.sh talks to it with the same configuration.

FLINK_CONF_ROOT="$REPO_ROOT/flink-conf"
FLINK_EFFECTIVE_ROOT="$RUN_DIR/flink-conf"
# Flink plugins (e.g. flink-s3-fs-presto in plugins/s3/): read from $FLINK_PLUGINS_DIR by every process.
export FLINK_PLUGINS_DIR="${FLINK_PLUGINS_DIR:-$RUN_DIR/flink/plugins}"
FLINK_CLUSTER_RECORD="$FLINK_EFFECTIVE_ROOT/cluster"

# Set by flink_select_conf:
FLINK_CONF_NAME=""      # profile name, or "custom" for $FLINK_CONF_DIR
FLINK_CONF_SOURCE=""    # source dir
FLINK_EFFECTIVE_CONF="" # generated dir, the --configDir / FLINK_CONF_DIR given to Flink
FLINK_FLAT_CONF=""      # flattened config.yaml

# flink_select_conf PROFILE USE_CLUSTER_RECORD
#   PROFILE: a flink-conf/<PROFILE> name, or empty for $FLINK_CONF_DIR or the default (local)
#   USE_CLUSTER_RECORD: "yes" to prefer the running cluster's configuration when PROFILE and
#   FLINK_CONF_DIR are both unset (scripts/flink.sh)
# Generates the effective configuration (only if it changed) and sets the FLINK_* variables above.
flink_select_conf() {
  local profile="$1" use_record="${2:-no}"
  if [[ -n "$profile" ]]; then
    [[ "$profile" =~ ^[A-Za-z0-9._-]+$ ]] || die "invalid profile name '$profile'"
    FLINK_CONF_SOURCE="$FLINK_CONF_ROOT/$profile"
    FLINK_CONF_NAME="$profile"
    if [[ ! -d "$FLINK_CONF_SOURCE" ]]; then
      die "unknown profile '$profile': no directory $FLINK_CONF_SOURCE (profiles: $(flink_profiles))"
    fi
  elif [[ -n "${FLINK_CONF_DIR:-}" ]]; then
    [[ -d "$FLINK_CONF_DIR" ]] || die "FLINK_CONF_DIR=$FLINK_CONF_DIR is not a directory"
    FLINK_CONF_SOURCE="$(cd "$FLINK_CONF_DIR" && pwd -P)"
    FLINK_CONF_NAME="custom"
    # One of the profiles: keep its name.
    if [[ "$(dirname "$FLINK_CONF_SOURCE")" == "$(cd "$FLINK_CONF_ROOT" 2>/dev/null && pwd -P)" ]]; then
      FLINK_CONF_NAME="$(basename "$FLINK_CONF_SOURCE")"
    fi
    # Already an effective dir (e.g. FLINK_CONF_DIR exported from a previous run): use it as is.
    if [[ "$FLINK_CONF_SOURCE" == "$FLINK_EFFECTIVE_ROOT"/* ]]; then
      FLINK_CONF_NAME="$(basename "$FLINK_CONF_SOURCE")"
    fi
  elif [[ "$use_record" == yes ]] && flink_read_cluster_record; then
    return 0
  else
    FLINK_CONF_SOURCE="$FLINK_CONF_ROOT/local"
    FLINK_CONF_NAME="local"
  fi
  FLINK_EFFECTIVE_CONF="$FLINK_EFFECTIVE_ROOT/$FLINK_CONF_NAME"
  FLINK_FLAT_CONF="$FLINK_EFFECTIVE_ROOT/$FLINK_CONF_NAME.flat.yaml"
  [[ -f "$FLINK_CONF_SOURCE/config.yaml" ]] ||
    die "no config.yaml in $FLINK_CONF_SOURCE (Flink 2.x reads config.yaml; flink-conf.yaml is not supported)"
  if [[ "$FLINK_CONF_SOURCE" != "$FLINK_EFFECTIVE_CONF" ]]; then
    flink_generate_conf "$FLINK_CONF_SOURCE" "$FLINK_EFFECTIVE_CONF"
  fi
  mkdir -p "$FLINK_PLUGINS_DIR" 2>/dev/null || true
  flink_flatten_conf
}

flink_profiles() {
  local d names=()
  for d in "$FLINK_CONF_ROOT"/*/; do
    [[ -f "$d/config.yaml" ]] && names+=("$(basename "$d")")
  done
  echo "${names[*]:-none}"
}

# flink_generate_conf SRC DST: copies the regular files of SRC to DST, substituting the placeholders.
flink_generate_conf() {
  local src="$1" dst="$2" f content tmp
  mkdir -p "$FLINK_EFFECTIVE_ROOT" "$RUN_DIR/flink/checkpoints" "$RUN_DIR/flink/savepoints" \
    "$RUN_DIR/flink/tmp" "$RUN_DIR/flink/web-upload"
  tmp="$(mktemp -d "$FLINK_EFFECTIVE_ROOT/.tmp.XXXXXX")"
  for f in "$src"/*; do
    [[ -f "$f" ]] || continue
    content="$(cat "$f")"
    content="${content//@RUN_DIR@/"$RUN_DIR"}"
    content="${content//@REPO_ROOT@/"$REPO_ROOT"}"
    printf '%s\n' "$content" >"$tmp/$(basename "$f")"
  done
  if [[ -d "$dst" ]] && diff -rq "$tmp" "$dst" >/dev/null 2>&1; then
    rm -rf "$tmp"
    return 0
  fi
  rm -rf "$dst" "$FLINK_EFFECTIVE_ROOT/$(basename "$dst").flat.yaml"
  mv "$tmp" "$dst"
}

# flink_bash_java_utils COMMAND [ARGS...]: runs Flink's BashJavaUtils on the effective configuration
# and prints its result lines (the ones after the BASH_JAVA_UTILS_EXEC_RESULT: prefix).
flink_bash_java_utils() {
  local cmd="$1"
  shift
  require_java
  ensure_runtime flink
  ensure_run_dirs
  local out rc=0 log4j=()
  if [[ -f "$FLINK_EFFECTIVE_CONF/log4j-cli.properties" ]]; then
    log4j=(-Dlog4j.configurationFile="file:$FLINK_EFFECTIVE_CONF/log4j-cli.properties")
  fi
  out="$("$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "${FLINK_JAVA_DEFAULT_OPTS[@]}" \
    -Dlog.file="$LOG_DIR/flink-bash-java-utils.log" ${log4j[@]+"${log4j[@]}"} \
    -cp "$(runtime_classpath flink)" org.apache.flink.runtime.util.bash.BashJavaUtils \
    "$cmd" --configDir "$FLINK_EFFECTIVE_CONF" "$@" 2>&1)" || rc=$?
  if ((rc != 0)) || ! grep -q '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out"; then
    printf '%s\n' "$out" | tail -n 30 >&2
    die "BashJavaUtils $cmd failed on $FLINK_EFFECTIVE_CONF/config.yaml (exit $rc); see the output above"
  fi
  sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p' <<<"$out"
}

# Writes the flattened configuration, unless it is already there.
flink_flatten_conf() {
  if [[ -s "$FLINK_FLAT_CONF" && "$FLINK_FLAT_CONF" -nt "$FLINK_EFFECTIVE_CONF/config.yaml" ]]; then
    return 0
  fi
  local flat
  flat="$(flink_bash_java_utils UPDATE_AND_GET_FLINK_CONFIGURATION --flatten)"
  printf '%s\n' "$flat" >"$FLINK_FLAT_CONF"
}

# flink_conf_get KEY [DEFAULT]: a value of the effective configuration.
flink_conf_get() {
  local key="$1" default="${2:-}" value
  value="$(awk -v k="$key: " 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' "$FLINK_FLAT_CONF")"
  printf '%s' "${value:-$default}"
}

flink_rest_url() {
  if [[ -n "${FLINK_REST_URL:-}" ]]; then
    printf '%s' "${FLINK_REST_URL%/}"
    return
  fi
  local address port
  address="$(flink_conf_get rest.address "$(flink_conf_get jobmanager.rpc.address localhost)")"
  port="$(flink_conf_get rest.port 8081)"
  [[ "$address" == 0.0.0.0 ]] && address=localhost
  printf 'http://%s:%s' "$address" "$port"
}

# flink_java_opts jobmanager|taskmanager|client: sets the array FLINK_JAVA_OPTS, as Flink's own
# scripts do: env.java.default-opts.all (Flink's add-opens list when unset), env.java.opts.all,
# the component's env.java.default-opts.* / env.java.opts.*, then $FLINK_ENV_JAVA_OPTS.
flink_java_opts() {
  local component="$1" default_all
  default_all="$(flink_conf_get env.java.default-opts.all)"
  FLINK_JAVA_OPTS=()
  if [[ -n "$default_all" ]]; then
    # shellcheck disable=SC2206
    FLINK_JAVA_OPTS+=($default_all)
  else
    FLINK_JAVA_OPTS+=("${FLINK_JAVA_DEFAULT_OPTS[@]}")
  fi
  local key value
  for key in "env.java.default-opts.$component" env.java.opts.all "env.java.opts.$component"; do
    value="$(flink_conf_get "$key")"
    # shellcheck disable=SC2206
    [[ -n "$value" ]] && FLINK_JAVA_OPTS+=($value)
  done
  # shellcheck disable=SC2206
  [[ -n "${FLINK_ENV_JAVA_OPTS:-}" ]] && FLINK_JAVA_OPTS+=($FLINK_ENV_JAVA_OPTS)
  return 0
}

flink_write_cluster_record() {
  mkdir -p "$FLINK_EFFECTIVE_ROOT"
  printf '%s\n%s\n%s\n' "$FLINK_CONF_NAME" "$FLINK_CONF_SOURCE" "$FLINK_EFFECTIVE_CONF" >"$FLINK_CLUSTER_RECORD"
}

# Loads the configuration the running cluster was started with (false if there is none).
flink_read_cluster_record() {
  [[ -f "$FLINK_CLUSTER_RECORD" ]] || return 1
  local name source eff
  {
    IFS= read -r name
    IFS= read -r source
    IFS= read -r eff
  } <"$FLINK_CLUSTER_RECORD" || return 1
  [[ -n "$name" && -f "$eff/config.yaml" ]] || return 1
  FLINK_CONF_NAME="$name"
  FLINK_CONF_SOURCE="$source"
  FLINK_EFFECTIVE_CONF="$eff"
  FLINK_FLAT_CONF="$FLINK_EFFECTIVE_ROOT/$name.flat.yaml"
  # Pick up edits of the source files (they apply to new clients; the running processes keep
  # what they read at start).
  if [[ "$source" != "$eff" && -f "$source/config.yaml" ]]; then
    flink_generate_conf "$source" "$eff"
  fi
  mkdir -p "$FLINK_PLUGINS_DIR" 2>/dev/null || true
  flink_flatten_conf
}
