"""The e5 tokenizer as the answering path uses it: a model folder's fast tokenizer, its padding id and prefixes."""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer

TOKENIZER_FILE = "tokenizer.json"  # the fast tokenizer of a model folder (character offsets, windows)
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
MAX_SEQ_LENGTH = 512
PAD_TOKEN = "<pad>"


def load_tokenizer(folder: Path) -> Tokenizer:
    """The fast tokenizer of a model folder (character offsets, overflowing windows); OSError when unreadable."""
    path = Path(folder) / TOKENIZER_FILE
    try:
        return Tokenizer.from_file(str(path))
    except Exception as error:  # the tokenizers library raises plain Exception
        raise OSError(f"cannot read the tokenizer {path}: {error}") from error


def pad_id(tokenizer: Tokenizer) -> int:
    """The id of the padding token of a model folder's tokenizer (1 in XLM-R's vocabulary)."""
    found = tokenizer.token_to_id(PAD_TOKEN)
    if found is None:
        raise ValueError(f"the tokenizer has no {PAD_TOKEN} token to pad batches with")
    return found
