"""The shipped article is the shared file, byte for byte, and its recorded sha256 says so."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from qa.article import ARTICLE_SHA256, article_bytes, read_article, text_sha256

SHARED_ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "article" / "dalian_minsheng_2023.txt"


def test_the_shipped_article_matches_its_recorded_sha256():
    assert hashlib.sha256(article_bytes()).hexdigest() == ARTICLE_SHA256
    assert text_sha256(read_article()) == ARTICLE_SHA256  # decoding and re-encoding loses nothing


def test_the_shipped_article_is_the_shared_file_byte_for_byte():
    if not SHARED_ARTICLE.is_file():
        pytest.skip(f"{SHARED_ARTICLE} is not on this machine")
    assert article_bytes() == SHARED_ARTICLE.read_bytes()
