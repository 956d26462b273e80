#!/usr/bin/env bash
# Trains reader candidates side by side on one GPU, then a 6-layer reader distilled from the best 12-layer one,
# and packs the best reader of each depth (by tune score) for the trip back.
#
# Run on a GPU machine with torch, transformers and tokenizers, from the repository root:
#   scripts/train_reader_gpu.sh BUNDLE OUT
# BUNDLE holds `python -m training.pruned_base pack` output plus cmrc2018_train.json and cmrc2018_trial.json.
# OUT receives every run's log and console output (runs.tar.gz) and the two exports as tar files split into parts
# under 16 MB (`cat l12.tar.part-* | tar -x -C DIR`). The tune score is CMRC trial's (CMRC dev is for reporting);
# it sees neither unanswerable questions nor the article, which the pick of the shipped reader also weighs
# (README, "Training the reader").
# Each phase has a time limit, so that a lent machine's short lease still brings back what finished:
# PHASE1_S (the candidates, default 240 s) and PHASE2_S (the distillation, default 200 s). DEVICE (default cuda)
# and EXTRA (arguments added to every run) let a CPU smoke test run the same script on tiny data.
set -euo pipefail
bundle=$1
out=$2
device=${DEVICE:-cuda}
read -r -a extra <<<"${EXTRA:-}"
base=/tmp/e5-base
runs=/tmp/reader-runs
exports=/tmp/reader-exports
mkdir -p "$out" "$runs" "$exports"
# Every run's log and console output come back, whatever happens (checkpoints stay behind).
trap 'tar -czf "$out/runs.tar.gz" -C "$runs" --exclude "*.pt" .' EXIT

common=(--train "$bundle/cmrc2018_train.json" --tune "$bundle/cmrc2018_trial.json" --base-dir "$base"
        --device "$device" --threads 2 --tune-questions 1002 --checkpoint-every 1000 --eval-every 100000
        --keep-checkpoints 1 --no-progress --max-seq-len 384 --stride 128 --batch-size 32)
declare -A runs_args=(
  [l12-lr1.5e-4-e3]="--epochs 3 --lr 1.5e-4"
  [l12-lr2.5e-4-e3]="--epochs 3 --lr 2.5e-4"
  [l12-lr1.5e-4-e4]="--epochs 4 --lr 1.5e-4"
  [l6-lr3e-4-e4]="--encoder-layers 6 --epochs 4 --lr 3e-4"
)

train() {  # NAME SECONDS: one run, cut at SECONDS (its last checkpoint stays, but an unfinished run is never picked)
  # shellcheck disable=SC2086  # the options are meant to split
  timeout "$2" python3 -m training.reader "${common[@]}" ${runs_args[$1]} "${extra[@]}" --checkpoint-dir "$runs/$1" \
    >"$runs/$1.out" 2>&1 || echo "$1 stopped with status $?"
}

export_run() {  # NAME: the run's latest checkpoint as shipped weights in $exports/NAME
  # shellcheck disable=SC2086
  python3 -m training.reader "${common[@]}" ${runs_args[$1]} "${extra[@]}" --checkpoint-dir "$runs/$1" \
    --export "$exports/$1"
}

best() {  # PREFIX: the finished run of that prefix with the best tune F1 (nothing when none finished)
  python3 - "$runs" "$1" <<'EOF'
import json, sys
from pathlib import Path
scores = {}
for log in sorted(Path(sys.argv[1]).glob(f"{sys.argv[2]}*/log.jsonl")):
    last = json.loads(log.read_text().splitlines()[-1])
    print(f"{log.parent.name}: step {last['step']}/{last['total_steps']} tune EM {last.get('tune_em', 0):.1f} "
          f"F1 {last.get('tune_f1', 0):.1f} ({last['elapsed_s']:.0f} s)", file=sys.stderr)
    if last["step"] == last["total_steps"] and "tune_f1" in last:
        scores[log.parent.name] = last["tune_f1"]
print(max(scores, key=scores.get) if scores else "")
EOF
}

pack() {  # NAME LABEL: the export as LABEL.tar in parts under 16 MB
  tar -cf - -C "$exports/$1" . | split -b 15M - "$out/$2.tar.part-"
}

python3 -m training.pruned_base unpack "$bundle" --to "$base"
for name in "${!runs_args[@]}"; do
  train "$name" "${PHASE1_S:-240}" &
done
wait

teacher=$(best l12)
if [ -n "$teacher" ]; then
  echo "best 12-layer run: $teacher"
  export_run "$teacher"
  pack "$teacher" l12
  runs_args[l6-distilled]="--encoder-layers 6 --epochs 6 --lr 3e-4 --teacher $exports/$teacher/reader.safetensors --distill-weight 0.5 --distill-temperature 2.0"
  train l6-distilled "${PHASE2_S:-200}"
fi

student=$(best l6)
if [ -n "$student" ]; then
  echo "best 6-layer run: $student"
  export_run "$student"
  pack "$student" l6
fi
tail -n 2 "$runs"/*.out
