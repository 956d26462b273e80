#!/usr/bin/env bash
# Distils 6-layer readers from the shipped 12-layer one side by side on one GPU, scores each on the article's
# recorded tune reads (training.tune_reads) and packs the best for the trip back.
#
# Run on a GPU machine with torch, transformers and tokenizers, from the repository root:
#   scripts/distill_reader_gpu.sh BUNDLE OUT
# BUNDLE holds `python -m training.pruned_base pack --reads tune_reads.json` output, tune_reads.json, and
# cmrc2018_train.json.xz and cmrc2018_trial.json.xz (xz keeps the trip under 64 MiB beside the teacher).
# OUT receives every run's log and console output (runs.tar.gz), the scores (scores.txt) and the best KEEP
# (default 3) students by gold best spans on the tune reads, as one tar split into parts under 16 MB
# (`cat students.tar.part-* | tar -x -C DIR`). PHASE_S (default 330) limits the training phase; an unfinished
# run is never packed. DEVICE (default cuda) and EXTRA (arguments added to every run) let a CPU smoke test run
# the same script on tiny data. The trip holds the repository too: move eval/reports (14 MB) aside for it.
# The candidates below are the second of two runs (README, "Training the reader", has both and what they scored).
set -euo pipefail
bundle=$1
out=$2
device=${DEVICE:-cuda}
read -r -a extra <<<"${EXTRA:-}"
base=/tmp/e5-base
data=/tmp/reader-data
runs=/tmp/reader-runs
exports=/tmp/reader-exports
teacher=qa/models/reader.safetensors
mkdir -p "$out" "$data" "$runs" "$exports"
trap 'tar -czf "$out/runs.tar.gz" -C "$runs" --exclude "*.pt" .' EXIT

for name in cmrc2018_train cmrc2018_trial; do
  xz -dc "$bundle/$name.json.xz" >"$data/$name.json"
done
common=(--train "$data/cmrc2018_train.json" --tune "$data/cmrc2018_trial.json" --base-dir "$base"
        --device "$device" --threads 2 --tune-questions 1002 --checkpoint-every 1000 --eval-every 100000
        --keep-checkpoints 1 --no-progress --batch-size 32 --encoder-layers 6 --teacher "$teacher"
        --distill-temperature 2.0)
declare -A runs_args=(
  [s-alt-w10-e10]="--epochs 10 --lr 1.5e-4 --distill-weight 1.0 --teacher-layers 0,2,4,6,8,10"
  [s-alt-w10-e10-t1]="--epochs 10 --lr 1.5e-4 --distill-weight 1.0 --distill-temperature 1.0 --teacher-layers 0,2,4,6,8,10"
  [s-alt-w9-e10-lr2]="--epochs 10 --lr 2e-4 --distill-weight 0.9 --teacher-layers 0,2,4,6,8,10"
  [s-alt-w10-e8-null20]="--epochs 8 --lr 1.5e-4 --distill-weight 1.0 --teacher-layers 0,2,4,6,8,10 --null-window-rate 0.2"
  [s-alt-w10-e8-384]="--epochs 8 --lr 1.5e-4 --distill-weight 1.0 --teacher-layers 0,2,4,6,8,10 --max-seq-len 384 --stride 128"
  [s-low-w10-e10]="--epochs 10 --lr 1.5e-4 --distill-weight 1.0 --teacher-layers 0,1,2,3,4,5"
)

train() {  # NAME SECONDS: one run, cut at SECONDS
  # shellcheck disable=SC2086  # the options are meant to split
  timeout "$2" python3 -m training.reader "${common[@]}" ${runs_args[$1]} "${extra[@]}" --checkpoint-dir "$runs/$1" \
    >"$runs/$1.out" 2>&1 || echo "$1 stopped with status $?"
}

finished() {  # NAME: true when the run's last log entry is its last step
  python3 - "$runs/$1/log.jsonl" <<'EOF'
import json, sys
from pathlib import Path
log = Path(sys.argv[1])
last = json.loads(log.read_text().splitlines()[-1]) if log.is_file() else {}
print(f"{log.parent.name}: step {last.get('step')}/{last.get('total_steps')} CMRC trial EM {last.get('tune_em', 0):.1f} "
      f"F1 {last.get('tune_f1', 0):.1f} ({last.get('elapsed_s', 0):.0f} s)", file=sys.stderr)
sys.exit(0 if last and last["step"] == last["total_steps"] and "tune_f1" in last else 1)
EOF
}

python3 -m training.pruned_base unpack "$bundle" --to "$base"
for name in "${!runs_args[@]}"; do
  train "$name" "${PHASE_S:-330}" &
done
wait

done_runs=()
for name in "${!runs_args[@]}"; do
  if finished "$name"; then
    # shellcheck disable=SC2086
    python3 -m training.reader "${common[@]}" ${runs_args[$name]} "${extra[@]}" --checkpoint-dir "$runs/$name" \
      --export "$exports/$name" &
    done_runs+=("$exports/$name")
  fi
done
wait
[ ${#done_runs[@]} -gt 0 ] || { echo "no run finished"; exit 1; }
python3 -m training.tune_reads score "$bundle/tune_reads.json" --base-dir "$base" --reference "$teacher" \
  "${done_runs[@]}" | tee "$out/scores.txt"
# The best KEEP by gold best spans (the reference line excluded), packed together.
mapfile -t best < <(grep -v '^reference:' "$out/scores.txt" | sort -t' ' -k5,5nr | head -n "${KEEP:-3}" | cut -d: -f1)
tar -cf - "${best[@]}" | split -b 15M - "$out/students.tar.part-"
echo "packed: ${best[*]}"
