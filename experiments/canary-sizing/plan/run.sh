#!/bin/sh
# The canary planner (`rollsim plan canary`) on this study's model with background noise, at
# three traffic levels: what canary, duration and judge catch 0.5% and 1% more errors and a
# 2× slower service in 95% of runs while failing a healthy release in at most 1%.
# Usage: experiments/canary-sizing/plan/run.sh [ROLLSIM] (from the repository's root).
set -eu
rollsim=${1:-target/release/rollsim}
out=experiments/canary-sizing/plan
noise='layers.service.noise={ error_rate = 0.001, spells = { every = "6h", length = "exponential(mean=5m)", error_rate = 0.05, latency_factor = 3.0 } }'
for level in 150 600 2400; do
  case $level in
    2400) fleet="--set layers.service.instances=80 --set layers.edge.instances=20" ;;
    *) fleet="" ;;
  esac
  # shellcheck disable=SC2086
  "$rollsim" plan canary experiments/rollback-safety/model.toml --set "$noise" \
    --set "traffic.rate=$level/s" $fleet \
    --detect "errors+0.5%" --detect "errors+1%" --detect "p99x2" \
    --runs 20 --progress never --plot "$out/$level" > "$out/$level.txt"
done
