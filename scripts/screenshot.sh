#!/usr/bin/env bash
# A browser check of the running job: opens the Flink web UI's page of the job in headless Chromium,
# saves a screenshot of the job graph and checks the render (every vertex of the job is a node of
# the graph, the job's main operators are on the nodes, the PNG is not a blank page). When no
# cluster runs it starts the engine itself (scripts/run-local.sh) and stops it again at the end.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/personalize.sh
source "$SCRIPTS_DIR/lib/personalize.sh"

out="$REPO_ROOT/docs/job-graph.png"
rest="http://localhost:8081"
job_id=""
wait_s=90
min_kb=40
width=2000
graph_height=1300
start_timeout=600
operators="events-source,route-dead-letters,user-features,deploy-models,score-propensity,score-churn,score-sentiment,score-segment,score-recommend,join-model-results,decide-and-assign,analyze-experiments"

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--out FILE] [--rest URL] [--job-id ID] [--operators A,B,...] [--wait S]
                     [--width PX] [--graph-height PX] [--min-kb N]

Opens $rest/#/job/running/<job id>/overview in headless Chromium (driven over the DevTools
protocol by the job jar's JobGraphScreenshot tool), waits until the graph shows every vertex the
REST API lists, gives the graph a box of --graph-height px (the web UI fits it into 500 px, where
it cannot be read), saves the page as a PNG and checks the render: every vertex is a node, every
name of --operators is on a node, the PNG is larger than --min-kb. Exits non-zero, saying what is
missing, when the check fails (the failed render is kept in .run/logs/screenshot-failed.png).

The job is the one given by --job-id, else the running job the REST API lists. When the REST API
does not answer, the script starts the engine with scripts/run-local.sh in the background (Kafka,
the local Flink cluster, the job and the replay; log: .run/logs/screenshot-run-local.log), takes
the screenshot, and stops it all again.

  --out FILE          the PNG (default: docs/job-graph.png)
  --rest URL          the Flink REST API and web UI (default: $rest)
  --job-id ID         the job to show (default: the running one)
  --operators LIST    operator names the graph must show (default: the job's main operators)
  --wait S            longest wait for the graph to render (default: $wait_s)
  --width PX          page width in CSS px (default: $width; the PNG has 1.5 device px per CSS px)
  --graph-height PX   height of the graph's box (default: $graph_height)
  --min-kb N          smallest PNG that counts as a render (default: $min_kb)

Environment: CHROMIUM (default: chromium, chromium-browser or google-chrome on the PATH).
USAGE
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --rest) rest="${2%/}"; shift 2 ;;
    --job-id) job_id="$2"; shift 2 ;;
    --wait) wait_s="$2"; shift 2 ;;
    --width) width="$2"; shift 2 ;;
    --graph-height) graph_height="$2"; shift 2 ;;
    --min-kb) min_kb="$2"; shift 2 ;;
    --operators) operators="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ "$wait_s" =~ ^[0-9]+$ ]] || die "--wait must be a whole number of seconds"
[[ "$min_kb" =~ ^[0-9]+$ ]] || die "--min-kb must be a whole number"
[[ "$out" == /* ]] || out="$PWD/$out"

chromium="${CHROMIUM:-}"
if [[ -z "$chromium" ]]; then
  for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
      chromium="$(command -v "$candidate")"
      break
    fi
  done
fi
[[ -n "$chromium" && -x "$chromium" ]] ||
  die "no Chromium found: install the Debian package 'chromium' (apt-get install chromium) or set CHROMIUM"
ensure_run_dirs

# The running job's id from /jobs/overview (the newest RUNNING one), empty if none.
running_job() {
  local overview
  overview="$(http_get "$rest/jobs/overview" 2>/dev/null)" || return 0
  # one job object a line; jid comes first in each
  sed 's/},{/}\n{/g' <<<"$overview" | grep '"state":"RUNNING"' | sed -n 's/.*"jid":"\([0-9a-f]\{32\}\)".*/\1/p' |
    tail -n1 || true # no running job: nothing
}

engine_pid=""
stop_engine() {
  trap - EXIT INT TERM
  if [[ -n "$engine_pid" ]] && kill -0 "$engine_pid" 2>/dev/null; then
    info "stopping the engine this script started (run-local.sh pid $engine_pid) ..."
    kill -TERM "$engine_pid" 2>/dev/null || true
    wait "$engine_pid" 2>/dev/null || true
  fi
}
trap stop_engine EXIT INT TERM

if [[ -z "$job_id" ]]; then
  if http_get "$rest/overview" >/dev/null 2>&1; then
    job_id="$(running_job)"
    [[ -n "$job_id" ]] || die "the Flink cluster at $rest runs no job: submit one (scripts/flink.sh run ...) or stop the cluster"
  else
    engine_log="$LOG_DIR/screenshot-run-local.log"
    info "no Flink cluster at $rest: starting the engine with scripts/run-local.sh (log: ${engine_log#"$REPO_ROOT"/}) ..."
    "$SCRIPTS_DIR/run-local.sh" --show dead-letters >"$engine_log" 2>&1 &
    engine_pid=$!
    deadline=$((SECONDS + start_timeout))
    until [[ -n "$job_id" ]]; do
      if ! kill -0 "$engine_pid" 2>/dev/null; then
        show_log_tail "$engine_log" 30
        die "run-local.sh exited before the job ran (log: $engine_log)"
      fi
      ((SECONDS < deadline)) || die "no running job after ${start_timeout}s (log: $engine_log)"
      sleep 2
      job_id="$(running_job)"
    done
    # let every subtask start and the replay reach the job, so the graph shows live figures
    sleep 15
  fi
fi
page="$rest/#/job/running/$job_id/overview"
png="$LOG_DIR/screenshot.png"
rm -f "$png"
job_state="$(http_get "$rest/jobs/$job_id" 2>/dev/null)" || die "no job $job_id at $rest"
[[ "$job_state" == *'"state":"RUNNING"'* ]] || die "job $job_id is not RUNNING at $rest"
info "job $job_id: $page"

# Chromium over the DevTools protocol: waits for the graph, makes it readable, checks the render
run_tool io.personalize.jobs.tools.JobGraphScreenshot --rest "$rest" --job-id "$job_id" --out "$png" \
  --chromium "$chromium" --operators "$operators" --min-kb "$min_kb" --width "$width" \
  --graph-height "$graph_height" --timeout "PT${wait_s}S" >"$LOG_DIR/screenshot.out" 2>&1 || {
  cat "$LOG_DIR/screenshot.out" >&2
  cp "$png" "$LOG_DIR/screenshot-failed.png" 2>/dev/null || true
  die "the job graph did not render as expected (screenshot, if any: .run/logs/screenshot-failed.png)"
}
mkdir -p "$(dirname "$out")"
cp "$png" "$out"
info "$(tail -n1 "$LOG_DIR/screenshot.out")"
info "job graph of $job_id rendered and checked: $(grep -c '^  ' "$LOG_DIR/screenshot.out") nodes; saved $out"
