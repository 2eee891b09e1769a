#!/usr/bin/env bash
# Reproduces this study: models/live.toml rolled out live (HAProxy 2.6, instance
# processes on loopback, model times ÷ 60) beside 10 simulated runs of the same scaled
# model. Needs haproxy on the PATH (apt-get install -y haproxy). About a minute each.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
out=experiments/live-vs-sim
./target/release/rollsim live models/live.toml --vs-sim --sim-runs 10 \
  > "$out/healthy.txt"
./target/release/rollsim live models/live.toml --vs-sim --sim-runs 10 \
  --set rollout.release.error_rate=0.05 \
  > "$out/defective.txt"
