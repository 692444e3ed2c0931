#!/usr/bin/env bash
# Tools/crash-loop.sh [CYCLES] [DATA_DIR]
#
# The long version of the kill -9 reliability test: CYCLES times (default 100), start a process that
# appends through the Ledger (`strongroom debug write-load`, several concurrent writers, small segments
# so they roll and seal often), kill -9 it at a random moment, sometimes append half a batch frame to
# the last segment (a torn write), then `journal verify`. At the end, reopen once more (recovery cuts
# any torn tail), verify again, and check that every acknowledged registration is in the journal.
# Exits non-zero on the first problem. Uses the release binary (built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

cycles="${1:-100}"
data="${2:-$(mktemp -d)/data}"
bin=.build/release/strongroom
[ -x "$bin" ] || swift build -c release --product strongroom
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
: > "$work/acked"

echo "crash loop: $cycles cycles on $data"
for cycle in $(seq 1 "$cycles"); do
  out="$work/cycle.out"
  segkib=$(( (RANDOM % 2) ? 16 : 64 ))
  "$bin" debug write-load --data-dir "$data" --writers 8 --segment-kib "$segkib" > "$out" 2> "$work/cycle.err" &
  pid=$!
  for _ in $(seq 1 600); do grep -q '^ack ' "$out" 2>/dev/null && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if ! kill -0 "$pid" 2>/dev/null; then echo "cycle $cycle: write-load exited early:"; cat "$work/cycle.err"; exit 1; fi
  sleep "0.$(( 50 + RANDOM % 400 ))"
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  # Only complete lines count: an acknowledgement is one write(2) of a whole line.
  if [ -n "$(tail -c 1 "$out")" ]; then sed '$d' "$out"; else cat "$out"; fi | sed -n 's/^ack \([0-9][0-9]*\)$/\1/p' >> "$work/acked"
  if (( RANDOM % 2 )); then
    last="$(ls "$data"/journal/*.seg | sort | tail -n 1)"
    { printf 'SRB1'; head -c $(( 1 + RANDOM % 200 )) /dev/urandom; } >> "$last"
  fi
  if ! "$bin" journal verify --data-dir "$data" > "$work/verify.out"; then
    echo "cycle $cycle: journal verify failed:"; cat "$work/verify.out"; exit 1
  fi
  echo "cycle $cycle: $(grep -c '^ack ' "$out" || true) acks; $(head -c 160 "$work/verify.out")"
done

"$bin" debug write-load --data-dir "$data" --writers 1 --count 1 > /dev/null
"$bin" journal verify --data-dir "$data"
"$bin" journal dump --data-dir "$data" --type client.registered \
  | sed -n 's/.*"clientID":"load-\([0-9][0-9]*\)".*/\1/p' | sort -u > "$work/registered"
sort -u "$work/acked" > "$work/acked.sorted"
missing="$(comm -23 "$work/acked.sorted" "$work/registered" | wc -l)"
echo "$(wc -l < "$work/acked.sorted") acknowledged, $(wc -l < "$work/registered") registered, $missing acknowledged but missing"
[ "$missing" -eq 0 ]
