#!/usr/bin/env bash
# Trains reader candidates side by side on one GPU and exports the one with the best tune score.
#
# Run on a GPU machine with torch, transformers and tokenizers, from the repository root. Use the
# transformers of pyproject.toml (5.24 or newer): 5.17 cuts overflowing windows short (its windows lose the
# ends of long paragraphs), so the runs would not see the windows the shipped reader reads.
#   scripts/train_reader_gpu.sh BUNDLE OUT [CANDIDATE...]   (default: every candidate below)
# BUNDLE holds `python -m training.pruned_base pack` output plus cmrc2018_train.json and
# cmrc2018_trial.json. OUT receives every run's log, the winner's export (weights split into
# parts under 16 MB: `cat reader.safetensors.part-* > reader.safetensors`) and the console log.
# The tune score is CMRC trial's (CMRC dev is for reporting). It does not see unanswerable
# questions nor the article: the shipped run was picked on the article's tune split too and then
# trained alone (README, "Training the reader").
set -euo pipefail
bundle=$1
out=$2
shift 2
mkdir -p "$out"
base=/tmp/e5-base
runs=/tmp/reader-runs
mkdir -p "$runs"
# Every run's log and console output come back, whatever happens (checkpoints stay behind).
trap 'tar -czf "$out/runs.tar.gz" -C "$runs" --exclude "*.pt" .' EXIT

common=(--train "$bundle/cmrc2018_train.json" --tune "$bundle/cmrc2018_trial.json" --base-dir "$base"
        --device cuda --threads 2 --tune-questions 1002 --checkpoint-every 1000 --eval-every 100000
        --keep-checkpoints 1 --no-progress)
declare -A candidates=(
  [e2-lr8e-5-u25]="--epochs 2 --lr 8e-5 --unanswerable-rate 0.25"
  [e3-lr8e-5-u25]="--epochs 3 --lr 8e-5 --unanswerable-rate 0.25"
  [e3-lr1.5e-4-u25]="--epochs 3 --lr 1.5e-4 --unanswerable-rate 0.25"
  [e3-lr8e-5-u0]="--epochs 3 --lr 8e-5 --unanswerable-rate 0.0"
  [e3-lr1.5e-4-u0]="--epochs 3 --lr 1.5e-4 --unanswerable-rate 0.0"
)
chosen=("$@")
[ ${#chosen[@]} -gt 0 ] || chosen=("${!candidates[@]}")
for name in "${chosen[@]}"; do
  [ -n "${candidates[$name]+set}" ] || { echo "unknown candidate $name; known: ${!candidates[*]}" >&2; exit 2; }
done
python3 -m training.pruned_base unpack "$bundle" --to "$base"
for name in "${chosen[@]}"; do
  # shellcheck disable=SC2086  # the options are meant to split
  python3 -m training.reader "${common[@]}" ${candidates[$name]} --checkpoint-dir "$runs/$name" \
    >"$runs/$name.out" 2>&1 &
done
wait
tail -n 3 "$runs"/*.out

best=$(python3 - "$runs" <<'EOF'
import json, sys
from pathlib import Path
scores = {}
for log in sorted(Path(sys.argv[1]).glob("*/log.jsonl")):
    last = json.loads(log.read_text().splitlines()[-1])
    print(f"{log.parent.name}: step {last['step']}/{last['total_steps']} tune EM {last.get('tune_em', 0):.1f} "
          f"F1 {last.get('tune_f1', 0):.1f} ({last['elapsed_s']:.0f} s)", file=sys.stderr)
    if last["step"] == last["total_steps"]:
        scores[log.parent.name] = last["tune_f1"]
print(max(scores, key=scores.get))
EOF
)
echo "exporting $best"
# shellcheck disable=SC2086
python3 -m training.reader "${common[@]}" ${candidates[$best]} --checkpoint-dir "$runs/$best" --export /tmp/export
split -b 15M /tmp/export/reader.safetensors "$out/reader.safetensors.part-"
cp /tmp/export/reader.json /tmp/export/README.md "$out/"
