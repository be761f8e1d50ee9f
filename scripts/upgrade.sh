#!/usr/bin/env bash
# Upgrades the running job: stop with a savepoint, submit the new jar from that savepoint with the
# same arguments, and verify that the job's state survived.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$SCRIPTS_DIR/lib/personalize.sh"

job_id=""
jar=""
savepoint_dir=""
verify_timeout=300
min_users=3
probe_users=0
job_args=()
args_given=false
usage() {
  cat <<USAGE
Usage: $(basename "$0") [--job-id ID] [--jar PATH] [--savepoint-dir DIR] [--verify-timeout S]
                  [--min-users N] [--probe-users N] [-- JOB ARGUMENTS...]

Upgrades the personalization job running on the Flink cluster (scripts/flink.sh talks to it):
  1. reads the job's arguments (the job publishes them as its global job parameters, secrets
     redacted; with a redacted one, give them all after --) and parallelism from the REST API;
  2. notes each user's lifetime counters (orders, purchase_lines, sessions) in the job's latest
     decisions on the decision-audit topic;
  3. stops the job with a savepoint (flink stop; into --savepoint-dir, default the cluster's
     execution.checkpointing.savepoint-dir);
  4. submits the new jar (--jar, default the freshly built jobs/target/personalize-job.jar) from that
     savepoint with the same arguments and parallelism, without --allowNonRestoredState: every
     operator's state must find its operator again;
  5. verifies: the REST API must say the new job restored that savepoint, and the first decision the
     new job makes for a user noted in step 2 must show counters at least as high as before (a job
     started from empty state shows 1 at most; users kept have 2 or more). --min-users (default
     $min_users) users must carry on within --verify-timeout (default $verify_timeout s). Those users
     need input: live traffic, or --probe-users N sends one VIEW event for N of them (it is real input:
     for test and staging clusters).

Exit status: 0 verified; 1 the state did not survive, or a step failed (the message says how to go
back: the savepoint stays); 3 inconclusive (too few known users decided in time).
USAGE
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --job-id) job_id="$2"; shift 2 ;;
    --jar) jar="$2"; shift 2 ;;
    --savepoint-dir) savepoint_dir="$2"; shift 2 ;;
    --verify-timeout) verify_timeout="$2"; shift 2 ;;
    --min-users) min_users="$2"; shift 2 ;;
    --probe-users) probe_users="$2"; shift 2 ;;
    --) shift; job_args=("$@"); args_given=true; break ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
for v in verify_timeout min_users probe_users; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--${v//_/-} must be a whole number, got '${!v}'"
done

require_java
ensure_runtime flink
flink_select_conf "" yes
rest="$(flink_rest_url)"
http_get "$rest/config" >/dev/null 2>&1 || die "no Flink cluster answers at $rest"
if [[ -z "$jar" ]]; then
  ensure_job_jar
  jar="$JOB_JAR"
fi
[[ -f "$jar" ]] || die "no jar at $jar"
jar="$(cd "$(dirname "$jar")" && pwd -P)/$(basename "$jar")"
work="$RUN_DIR/upgrade-$(date +%Y%m%d%H%M%S)"
mkdir -p "$work"

if [[ -z "$job_id" ]]; then
  running="$(http_get "$rest/jobs" | grep -o '"id":"[0-9a-f]*","status":"RUNNING"' | cut -d'"' -f4 || true)"
  count="$(grep -c . <<<"$running" || true)"
  ((count == 1)) || die "$count jobs are RUNNING at $rest; name the one to upgrade with --job-id (${running//$'\n'/ })"
  job_id="$running"
fi
http_get "$rest/jobs/$job_id" | grep -q '"state":"RUNNING"' || die "job $job_id is not RUNNING"

parallelism=()
if [[ "$args_given" == false ]]; then
  run_tool io.personalize.jobs.tools.UpgradeCheck job-args --rest "$rest" --job-id "$job_id" >"$work/job-args" ||
    die "could not read the arguments of job $job_id"
  mapfile -d '' -t parts <"$work/job-args"
  job_args=("${parts[@]:1}")
  ((parts[0] > 0)) && parallelism=(-p "${parts[0]}")
fi
info "job $job_id; arguments: ${job_args[*]} ${parallelism[*]}"

info "noting the users' lifetime counters in the job's latest decisions ..."
run_tool io.personalize.jobs.tools.UpgradeCheck before --state "$work/before.json" -- "${job_args[@]}" ||
  die "nothing to verify the upgrade with (see above); the job was not touched"

info "stopping job $job_id with a savepoint ..."
stop_args=()
[[ -n "$savepoint_dir" ]] && stop_args=(--savepointPath "$savepoint_dir")
stop_out="$("$SCRIPTS_DIR/flink.sh" stop "${stop_args[@]}" "$job_id" 2>&1)" ||
  { echo "$stop_out" >&2; die "stop with savepoint failed; job $job_id is still running"; }
savepoint="$(sed -n 's/.*Savepoint completed\. Path: *//p' <<<"$stop_out" | tail -n1)"
[[ -n "$savepoint" ]] || { echo "$stop_out" >&2; die "no savepoint path in the CLI output"; }
info "savepoint: $savepoint"

back="to go back: $SCRIPTS_DIR/flink.sh run -d -s $savepoint ${parallelism[*]} OLD_JAR ${job_args[*]}"
since="$(now_ms)"
info "submitting ${jar#"$REPO_ROOT"/} from the savepoint ..."
submit_out="$("$SCRIPTS_DIR/flink.sh" run -d -s "$savepoint" "${parallelism[@]}" "$jar" "${job_args[@]}" 2>&1)" ||
  { echo "$submit_out" >&2; die "the new jar did not start from the savepoint; $back"; }
new_id="$(job_id_from "$submit_out")" || { echo "$submit_out" >&2; die "no job id in the CLI output; $back"; }
wait_for_http "$rest/jobs/$new_id" 180 "" '"state":"RUNNING"' || die "job $new_id is not RUNNING; $back"
info "job $new_id RUNNING; verifying its state ..."

rc=0
run_tool io.personalize.jobs.tools.UpgradeCheck after --state "$work/before.json" --since "$since" \
  --timeout "$verify_timeout" --min-users "$min_users" --probe-users "$probe_users" --rest "$rest" \
  --job-id "$new_id" --savepoint "$savepoint" -- "${job_args[@]}" || rc=$?
case "$rc" in
  0) echo "upgrade verified: job $job_id -> $new_id ($(basename "$jar")) from $savepoint; its state survived" ;;
  3) echo "upgrade done but NOT verified: job $job_id -> $new_id; too few known users were decided (see above); $back"
     exit 3 ;;
  *) echo "upgrade FAILED verification: job $job_id -> $new_id did not keep its state; $back"
     exit 1 ;;
esac
