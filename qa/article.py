"""The shipped article: read byte for byte from package data, with its identity."""

from __future__ import annotations

import hashlib
from importlib import resources

ARTICLE_ID = "dalian_minsheng_2023"
ARTICLE_FILE = "dalian_minsheng_2023.txt"
# sha256 of ../shared/article/dalian_minsheng_2023.txt; the packaged copy must stay byte-identical.
ARTICLE_SHA256 = "571fe570615f49a2ca8ea880bbfb9ccf5718e716cb365a4698385395fc3b974b"


def article_bytes() -> bytes:
    """The raw bytes of the shipped article."""
    return resources.files("qa.data").joinpath(ARTICLE_FILE).read_bytes()


def read_article() -> str:
    """The shipped article as text; every offset that `qa` reports indexes into this string.

    >>> read_article()[2:10]
    '大连市坚持让振兴'
    """
    return article_bytes().decode("utf-8")


def text_sha256(text: str) -> str:
    """sha256 of a text's UTF-8 bytes: the identity recorded in index metadata."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
