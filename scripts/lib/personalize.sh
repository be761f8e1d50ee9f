# shellcheck shell=bash
# Helpers for the scripts that build, train and run the personalization job. Source after common.sh.

JOB_JAR="$REPO_ROOT/jobs/target/personalize-job.jar"
MODELS_DIR="${PERSONALIZE_MODELS_DIR:-$REPO_ROOT/models}"
SHARED_DIR="${SHARED_DIR:-$(cd "$REPO_ROOT/.." && pwd -P)/shared}"
SCHEMAS_DIR="$REPO_ROOT/schemas/src/main/avro"
SCHEMA_HISTORY_DIR="$REPO_ROOT/schemas/src/main/avro-history"

# Builds the shaded job jar when it is missing or older than any source, pom or schema.
ensure_job_jar() {
  local stale=""
  if [[ -f "$JOB_JAR" ]]; then
    stale="$(find "$REPO_ROOT/pom.xml" "$REPO_ROOT/schemas" "$REPO_ROOT/udfs" "$REPO_ROOT/jobs" \
      \( \( -path '*/target' -o -path '*/src/test' \) -prune \) -o \( -type f \( -name '*.java' -o -name '*.avsc' -o -name pom.xml \) \
      -newer "$JOB_JAR" -print \) 2>/dev/null | head -n1)"
  fi
  if [[ ! -f "$JOB_JAR" || -n "$stale" ]]; then
    local mvn="${MVN:-mvn}"
    command -v "$mvn" >/dev/null 2>&1 || die "Maven ('$mvn') not found; it is needed to build the job jar"
    info "building the job jar (mvn package -DskipTests) ..."
    # its output goes to stderr: a tool's stdout (consume.sh's JSON lines) stays clean
    (cd "$REPO_ROOT" && "$mvn" -B -q package -DskipTests >&2) || die "the build failed"
  fi
}

# tool_cmd MAIN_CLASS ARGS...: sets TOOL_CMD to the command line of one of the job jar's tools
# (a single process, so that "${TOOL_CMD[@]}" & gives the JVM's own pid in $!). TOOL_HEAP: its -Xmx (2g).
tool_cmd() {
  require_java
  ensure_job_jar
  ensure_runtime flink
  ensure_run_dirs
  TOOL_CMD=(env OPT_OUT_TRACKING=true "$JAVA" "-Xmx${TOOL_HEAP:-2g}" -Dshared.dir="$SHARED_DIR" -Dai.djl.offline=true
    -Dlog.file="$LOG_DIR/tools.log" -Dlog4j.configurationFile="$REPO_ROOT/flink-conf/local/log4j-cli.properties"
    "${FLINK_JAVA_DEFAULT_OPTS[@]}" -cp "$JOB_JAR:$(runtime_classpath flink)" "$@")
}

# run_tool MAIN_CLASS ARGS...: runs one of the job jar's tools in the foreground.
run_tool() {
  tool_cmd "$@"
  "${TOOL_CMD[@]}"
}

models_present() {
  local model
  for model in propensity churn sentiment segment recommend item-cooccurrence popularity catalog safety-screen; do
    [[ -f "$MODELS_DIR/$model/CURRENT" ]] || return 1
  done
}

# Trains the models when the registry lacks one, or when one was trained by an older build (its
# features differ from this build's): the job would otherwise start with that model unavailable.
ensure_models() {
  local report
  if ! models_present; then
    info "no trained models in ${MODELS_DIR}; training them from $SHARED_DIR/data ..."
  elif ! report="$(run_tool io.personalize.jobs.tools.CheckModels --models-dir "$MODELS_DIR")"; then
    info "models in ${MODELS_DIR} do not fit this build; training them again from $SHARED_DIR/data ..."
    grep '^unfit' <<<"$report" | sed 's/^/  /' >&2 || true
  else
    return 0
  fi
  "$SCRIPTS_DIR/train-models.sh" --models-dir "$MODELS_DIR"
}

# job_id_from CLI_OUTPUT: the JobID that `flink run -d` printed (fails if there is none).
job_id_from() {
  local id
  id="$(sed -n 's/.*JobID \([0-9a-f]\{32\}\).*/\1/p' <<<"$1" | tail -n1)"
  [[ -n "$id" ]] && printf '%s' "$id"
}

# Starts the Kafka broker and the Flink cluster unless they run already; STARTED_KAFKA and
# STARTED_FLINK say which were started here, so that stop_started_stack stops only those.
STARTED_KAFKA=false
STARTED_FLINK=false
start_local_stack() {
  if ! "$SCRIPTS_DIR/kafka.sh" status >/dev/null 2>&1; then
    "$SCRIPTS_DIR/kafka.sh" start
    STARTED_KAFKA=true
  fi
  if ! "$SCRIPTS_DIR/flink-cluster.sh" status >/dev/null 2>&1; then
    "$SCRIPTS_DIR/flink-cluster.sh" start >&2
    STARTED_FLINK=true
  fi
}

stop_started_stack() {
  if [[ "$STARTED_FLINK" == true ]]; then "$SCRIPTS_DIR/flink-cluster.sh" stop || true; fi
  if [[ "$STARTED_KAFKA" == true ]]; then "$SCRIPTS_DIR/kafka.sh" stop || true; fi
}
