"""The question-answering pipeline: question -> hybrid retrieval -> span extraction -> `Answer` with evidence."""

from __future__ import annotations

import time
from pathlib import Path

from qa.article import ARTICLE_ID, read_article
from qa.corpus import Corpus
from qa.crosslingual import Glossary, substrings
from qa.document import Document, parse_document
from qa.extractor import Candidate, RuleExtractor
from qa.index import DenseIndex, load_or_build
from qa.keyword import KeywordIndex
from qa.question import Question, analyse_question
from qa.results import Answer, Evidence
from qa.retriever import Hit, HybridRetriever
from qa.settings import Settings

# Chosen on the tuning split of eval/questions.jsonl (see eval/reports/latest.md): the score at which an answer
# is more often right than wrong, keeping abstentions on unanswerable questions high.
DEFAULT_THRESHOLD = 0.5


class Answerer:
    """Answers questions over a corpus. Construction indexes the corpus; use `for_article` or `from_texts`.

    >>> answerer = Answerer.for_article()                    # doctest: +SKIP
    >>> answerer.answer("渤海大道什么时候全线通车？").text     # doctest: +SKIP
    '2022年6月30日'
    """

    def __init__(self, corpus: Corpus, dense: DenseIndex, embedder, settings: Settings):
        self.corpus = corpus
        self.settings = settings
        self.embedder = embedder
        self.retriever = HybridRetriever(
            dense, KeywordIndex(corpus.passages()), settings.dense_candidates, settings.keyword_candidates, settings.rrf_k
        )
        self.extractor = RuleExtractor(corpus)
        self._glossary: Glossary | None = None  # built on the first English question

    @classmethod
    def for_article(cls, settings: Settings | None = None, embedder=None) -> "Answerer":
        """The shipped article with the index in `settings.index_dir` (built, with a message, when missing or stale)."""
        settings = settings if settings is not None else Settings()
        embedder = embedder if embedder is not None else _default_embedder(settings)
        corpus = Corpus([parse_document(read_article(), ARTICLE_ID)])
        dense = load_or_build(
            settings.resolved_index_dir(), corpus.passages(), embedder, corpus.sha256, corpus.chunking, settings.embed_batch_size
        )
        return cls(corpus, dense, embedder, settings)

    @classmethod
    def from_texts(cls, texts: dict[str, str], settings: Settings | None = None, embedder=None, show_progress: bool = False) -> "Answerer":
        """An in-memory index over any texts ({doc_id: text}); evidence then carries the doc id."""
        if not isinstance(texts, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in texts.items()):
            raise TypeError("texts must be a dict of {doc_id: text} strings")
        settings = settings if settings is not None else Settings()
        embedder = embedder if embedder is not None else _default_embedder(settings)
        corpus = Corpus([parse_document(text, doc_id) for doc_id, text in texts.items()])
        dense = DenseIndex.build(
            corpus.passages(), embedder, corpus.sha256, corpus.chunking, settings.embed_batch_size, show_progress
        )
        return cls(corpus, dense, embedder, settings)

    @property
    def document(self) -> Document:
        """The first (for `for_article`, the only) document."""
        return self.corpus.documents[0]

    @property
    def threshold(self) -> float:
        return self.settings.answer_threshold if self.settings.answer_threshold is not None else DEFAULT_THRESHOLD

    def warm_up(self) -> None:
        """Load the models and run a Chinese and an English question, so the first user does not wait."""
        self.answer("大连")
        self.answer("Dalian")

    def answer(self, question: str) -> Answer:
        """Answer one question; raises EmptyQuestionError (a ValueError) when it is empty or only whitespace."""
        timings: dict[str, float] = {}
        q, hits, ranked = self._run(question, timings)
        best = ranked[0] if ranked else None
        found = best is not None and best.score >= self.threshold
        timings["total"] = sum(timings.values())

        notes = [f"问题过长，只使用了前{self.settings.max_question_chars}个字。"] if q.truncated else []
        evidence = self._evidence(hits, best if found else None)
        if not found:
            return Answer(q.text, "", False, best.score if best else 0.0, None, None, None, evidence, timings, notes)
        row = self.corpus.rows[best.row]
        start, end = row.sentence.source_span(best.start, best.end)
        return Answer(
            question=q.text,
            text=row.document.source[start:end],
            found=True,
            score=best.score,
            start=start,
            end=end,
            doc_id=row.document.doc_id,
            evidence=evidence,
            timings=timings,
            notes=notes,
            method="rules",
        )

    def candidates(self, question: str) -> list[Candidate]:
        """Every scored candidate span for a question, best first (what scripts/fit_rule_weights.py learns from)."""
        return self._run(question, {})[2]

    def _run(self, question: str, timings: dict[str, float]) -> tuple[Question, list[Hit], list[Candidate]]:
        """Question analysis, retrieval and extraction, timing each stage into `timings`."""
        clock = time.perf_counter()
        q = analyse_question(question, self.settings.max_question_chars)
        terms = self._terms(q)
        keyword_query = " ".join(" ".join(term) for term in terms) if q.english else q.simplified
        timings["question"] = time.perf_counter() - clock

        clock = time.perf_counter()
        query_vector = self.embedder.encode_queries([q.simplified])[0]
        timings["embed"] = time.perf_counter() - clock

        clock = time.perf_counter()
        hits = self.retriever.retrieve(query_vector, keyword_query, max(self.settings.evidence_count, 5))
        timings["retrieve"] = time.perf_counter() - clock

        clock = time.perf_counter()
        ranked = self.extractor.extract(q, terms, hits)
        timings["extract"] = time.perf_counter() - clock
        return q, hits, ranked

    def _evidence(self, hits: list[Hit], best: Candidate | None) -> list[Evidence]:
        """Retrieved sentences as evidence, the answer's own sentence first (it may be a caption's credit line)."""
        scored = [(hit.row, hit.score) for hit in hits]
        if best is not None:
            first = (best.row, hits[best.hit_rank].score)
            scored = [first] + [pair for pair in scored if pair[0] != best.row]
        return [self._to_evidence(row, score) for row, score in scored[: self.settings.evidence_count]]

    def _to_evidence(self, row_index: int, score: float) -> Evidence:
        row = self.corpus.rows[row_index]
        sentence, unit, document = row.sentence, row.unit, row.document
        return Evidence(
            text=sentence.text,
            start=sentence.start,
            end=sentence.end,
            score=score,
            doc_id=document.doc_id,
            location=document.location(unit),
            section=unit.section,
            paragraph=unit.paragraph,
            paragraph_text=unit.text,
            paragraph_start=unit.start,
            paragraph_end=unit.end,
            pieces=sentence.pieces,
            paragraph_pieces=unit.pieces,
        )

    def _terms(self, question: Question) -> list[tuple[str, ...]]:
        """What the article must mention to answer: Chinese content words, or English words' Chinese translations."""
        if not question.english:
            return [(word,) for word in question.words]
        if self._glossary is None:
            self._glossary = Glossary(substrings(self.corpus.passages()))
        return [translations for _, translations in self._glossary.translate(question.text)]


def _default_embedder(settings: Settings):
    from qa.embedder import Embedder

    return Embedder(cache_dir=settings.cache_dir)


_default_answerer: Answerer | None = None


def answer(question: str) -> Answer:
    """Answer a question about the shipped article (the index in `index/` is loaded, or built, on first use).

    >>> answer("2022年大连建成了多少处口袋公园？").text   # doctest: +SKIP
    '112处'
    """
    global _default_answerer
    if _default_answerer is None:
        _default_answerer = Answerer.for_article()
    return _default_answerer.answer(question)
