"""The question-answering pipeline: question -> hybrid retrieval -> candidates -> verification -> `Answer`.

Each stage runs once, in that order: the question is analysed, sentences retrieved, the span rules and the reader
propose spans (with the text's introduction of a person asked about), every candidate is described by its features
(`qa.verify.features`) and scored by the fitted verifier (`qa.verify.verifier`); the best candidate above the
verifier's operating point is the answer, otherwise "the article does not say".
"""

from __future__ import annotations

import functools
import re
import sys
import time
from dataclasses import dataclass

from qa.article import ARTICLE_ID, read_article
from qa.corpus import Corpus
from qa.crosslingual import Glossary, chinese_question
from qa.document import Document, parse_document
from qa.errors import ReaderUnavailableError
from qa.extractor import SENTENCES_READ, Candidate, RuleExtractor
from qa.index import DenseIndex, load_or_build
from qa.keyword import KeywordIndex
from qa.question import Question, analyse_question
from qa.results import Answer, Evidence
from qa.retriever import Hit, HybridRetriever
from qa.roles import answer_role
from qa.settings import Settings
from qa.support import Support
from qa.verify.candidates import Reading, SpanCandidate, propose
from qa.verify.features import FEATURES, Context, describe
from qa.verify.verifier import VERIFIER_FILE, Verdict, Verifier
from qa.word_tables import load_word_dictionary, load_word_tags

# The reader reads the paragraphs of the top sentences (`_read`): this many sentences' paragraphs, at most this many
# characters (a CMRC paragraph whole; about four of the article's).
READER_PASSAGES = 4
READER_CHARS = 1000


@dataclass(frozen=True)
class Judged:
    """A candidate with its features and, once a verifier is loaded, its verdict."""

    candidate: SpanCandidate
    features: dict[str, float]
    verdict: Verdict | None = None


class Answerer:
    """Answers questions over a corpus. Construction indexes the corpus; use `for_article` or `from_texts`.

    >>> answerer = Answerer.for_article()                    # doctest: +SKIP
    >>> answerer.answer("渤海大道什么时候全线通车？").text     # doctest: +SKIP
    '2022年6月30日'
    """

    def __init__(self, corpus: Corpus, dense: DenseIndex, embedder, settings: Settings, reader=None, verifier=None):
        self.corpus = corpus
        self.settings = settings
        self.embedder = embedder
        load_word_dictionary(settings.cache_dir)  # before the keyword index cuts the corpus into words
        load_word_tags(settings.cache_dir)
        self.retriever = HybridRetriever(
            dense, KeywordIndex(corpus.passages()), settings.dense_candidates, settings.keyword_candidates, settings.rrf_k
        )
        self.extractor = RuleExtractor(corpus)
        self.support = Support(corpus)
        self._reader = reader  # None: the shipped reader, loaded on first use when settings.use_reader
        if verifier is not None:
            verifier.check(FEATURES)
        self._verifier = verifier  # None: the shipped verifier (qa/data/verifier.json)

    @classmethod
    def for_article(cls, settings: Settings | None = None, embedder=None, reader=None, verifier=None) -> "Answerer":
        """The shipped article with the index in `settings.index_dir` (built, with a message, when missing or stale)."""
        settings = settings if settings is not None else Settings()
        embedder = embedder if embedder is not None else _default_embedder(settings)
        corpus = Corpus([parse_document(read_article(), ARTICLE_ID)])
        dense = load_or_build(
            settings.resolved_index_dir(), corpus.passages(), embedder, corpus.sha256, corpus.chunking, settings.embed_batch_size
        )
        return cls(corpus, dense, embedder, settings, reader, verifier)

    @classmethod
    def from_texts(
        cls,
        texts: dict[str, str],
        settings: Settings | None = None,
        embedder=None,
        show_progress: bool = False,
        reader=None,
        verifier=None,
    ) -> "Answerer":
        """An in-memory index over any texts ({doc_id: text}); evidence then carries the doc id. Texts of
        `settings.int8_encoder_from_chars` characters or more are embedded, and their questions, by the int8 encoder."""
        if not isinstance(texts, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in texts.items()):
            raise TypeError("texts must be a dict of {doc_id: text} strings")
        if not any(text.strip() for text in texts.values()):
            raise ValueError("texts holds no text to answer from: give at least one non-blank text")
        settings = settings if settings is not None else Settings()
        large = sum(map(len, texts.values())) >= settings.int8_encoder_from_chars
        if embedder is None:
            embedder = _default_embedder(settings, quantized=large, token_budget=settings.embed_token_budget)
        corpus = Corpus([parse_document(_encodable(text, doc_id), doc_id) for doc_id, text in texts.items()])
        dense = DenseIndex.build(
            corpus.passages(), embedder, corpus.sha256, corpus.chunking, settings.embed_batch_size, show_progress
        )
        answerer = cls(corpus, dense, embedder, settings, reader, verifier)
        if large:
            answerer.glossary  # CC-CEDICT read now, a second of a build of minutes, not on the first English question
        return answerer

    @property
    def document(self) -> Document:
        """The first (for `for_article`, the only) document."""
        return self.corpus.documents[0]

    @functools.cached_property
    def glossary(self) -> Glossary:
        """English words -> the corpus's Chinese words; CC-CEDICT is read on the first English question of a
        process (about a second)."""
        return Glossary(self.corpus.passages())

    @property
    def verifier(self) -> Verifier:
        if self._verifier is None:
            self._verifier = shipped_verifier()
        return self._verifier

    @property
    def threshold(self) -> float:
        """The answer threshold: `Settings.answer_threshold`, else the verifier's operating point."""
        if self.settings.answer_threshold is not None:
            return self.settings.answer_threshold
        return self.verifier.threshold

    def warm_up(self) -> None:
        """Load the models and run a Chinese and an English question, so the first user does not wait."""
        self.answer("大连")
        self.answer("Dalian")

    def answer(self, question: str) -> Answer:
        """Answer one question; raises EmptyQuestionError (a ValueError) when it is empty or only whitespace."""
        timings: dict[str, float] = {}
        context, judged = self.judge(question, timings)
        q, hits = context.question, context.hits
        best = judged[0] if judged else None
        notes = []
        if q.no_question:
            notes = [f"问题太长，又没有以问号结尾的问句：请只输入一个问题（{self.settings.max_question_chars}字以内）。"]
        elif q.truncated:
            notes = [f"问题超过{self.settings.max_question_chars}字，只回答了其中最后一个问句：{q.text}"]
        found = best is not None and best.verdict.probability >= self.threshold
        why = best.verdict.strongest() if best is not None else ()
        evidence = self._evidence(hits, best.candidate.row if found else None)
        if not found:
            score = best.verdict.probability if best is not None else 0.0
            return Answer(q.text, "", False, score, None, None, None, evidence, timings, notes, why=why)
        candidate = best.candidate
        row = self.corpus.rows[candidate.row]
        start, end = row.sentence.source_span(candidate.start, candidate.end)
        return Answer(
            question=q.text,
            text=candidate.text,
            found=True,
            score=best.verdict.probability,
            start=start,
            end=end,
            doc_id=row.document.doc_id,
            evidence=evidence,
            timings=timings,
            notes=notes,
            method=candidate.method,
            pieces=row.sentence.source_pieces(candidate.start, candidate.end),
            why=why,
        )

    def judge(self, question: str, timings: dict[str, float] | None = None) -> tuple[Context, list[Judged]]:
        """The question's context and every candidate with its features and verdict, best first."""
        timings = timings if timings is not None else {}
        context = self.context(question, timings)
        clock = time.perf_counter()
        described = [describe(context, candidate) for candidate in context.candidates]
        verdicts = self.verifier.verdicts(described)
        judged = [Judged(c, f, v) for c, f, v in zip(context.candidates, described, verdicts)]
        judged.sort(key=lambda j: -j.verdict.probability)
        timings["verify"] = time.perf_counter() - clock
        timings["total"] = sum(value for name, value in timings.items() if name != "total")
        return context, judged

    def context(self, question: str, timings: dict[str, float] | None = None) -> Context:
        """Question analysis, retrieval, the rules' and the reader's spans and the introduction, gathered as the
        candidates' `Context` (what the features read, and `qa fit-verifier` learns from)."""
        timings = timings if timings is not None else {}
        q, terms, hits, ranked = self._run(question, timings)
        clock = time.perf_counter()
        reading = None if q.no_question else self._read(q, hits)
        timings["read"] = time.perf_counter() - clock
        clock = time.perf_counter()
        names = self.glossary.names(q.text) if q.english else []
        # A long text with no question in it proposes nothing: the answer is a decline, with a note asking for one.
        candidates = [] if q.no_question else propose(self.corpus, q, ranked, reading, answer_role(self.corpus, q, names))
        timings["propose"] = time.perf_counter() - clock
        return Context(q, terms, hits, reading, candidates, self.corpus, self.extractor, self.support, names)

    def candidates(self, question: str) -> list[Candidate]:
        """Every scored candidate span of the rules, best first (what scripts/fit_rule_weights.py learns from)."""
        return self._run(question, {})[3]

    def _run(
        self, question: str, timings: dict[str, float]
    ) -> tuple[Question, list[tuple[str, ...]], list[Hit], list[Candidate]]:
        """Question analysis (with the question's terms, see `_terms`), retrieval and the span rules, timed into `timings`."""
        clock = time.perf_counter()
        q = analyse_question(question, self.settings.max_question_chars)
        terms = self._terms(q)
        keyword_query = " ".join(" ".join(term) for term in terms) if q.english else q.simplified
        # e5 matches an English question to Chinese sentences weakly; its words' translations beside it match well
        dense_query = f"{q.simplified} {keyword_query}".strip() if q.english else q.simplified
        timings["question"] = time.perf_counter() - clock

        clock = time.perf_counter()
        query_vector = self.embedder.encode_queries([dense_query])[0]
        timings["embed"] = time.perf_counter() - clock

        clock = time.perf_counter()
        wanted = max(self.settings.evidence_count, SENTENCES_READ, READER_PASSAGES)  # what is shown and what is read
        hits = self.retriever.retrieve(query_vector, keyword_query, wanted)
        timings["retrieve"] = time.perf_counter() - clock

        clock = time.perf_counter()
        ranked = self.extractor.extract(q, terms, hits)
        timings["extract"] = time.perf_counter() - clock
        return q, terms, hits, ranked

    def _read(self, q: Question, hits: list[Hit]) -> Reading | None:
        """The reader over the paragraphs of the top sentences, joined in document order into one passage per document
        and read in one batch (the reader was trained on whole paragraphs); None without a reader.
        An English question reaches the reader as itself followed by the article's words for its words
        (`Glossary.translate`): the multilingual encoder reads how the English words relate, the Chinese ones what to
        find in the passage."""
        reader = self._load_reader()
        if reader is None or not hits:
            return None
        passages = self.corpus.joined_paragraphs([hit.row for hit in hits[:READER_PASSAGES]], READER_CHARS)
        texts = [passage.text for passage in passages]
        question = q.simplified
        if q.english:
            chinese = chinese_question(self.glossary.translate(q.text), q.kind, "".join(texts), q.head)
            question = reader.joined_question(question, chinese) if chinese else question
        return Reading(reader.read(question, texts, top_n=10), tuple(passages))

    def _load_reader(self):
        """The trained reader (shared by every Answerer of the process); None when disabled or not shipped."""
        if self._reader is None and self.settings.use_reader:
            self._reader = shipped_reader(self.settings)
        return self._reader

    def _evidence(self, hits: list[Hit], answer_row: int | None) -> list[Evidence]:
        """Retrieved sentences as evidence, the answer's own sentence first (it may be a caption's credit line)."""
        scores = {hit.row: hit.score for hit in hits}
        rows = [hit.row for hit in hits]
        if answer_row is not None:
            rows = [answer_row] + [row for row in rows if row != answer_row]
        return [self._to_evidence(row, scores.get(row, 0.0)) for row in rows[: self.settings.evidence_count]]

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
        return [translations for _, translations in self.glossary.translate(question.text)]


def shipped_reader(settings: Settings):
    """The reader shipped in qa/models on ONNX Runtime (int8 unless `settings.quantized` is False), loaded once per
    process (`qa.model_registry`); None (said on stderr) when missing."""
    from qa import model_registry

    try:
        return model_registry.reader(settings.cache_dir, settings.quantized)
    except ReaderUnavailableError as error:
        print(f"Answering with the span rules only: {error}", file=sys.stderr)
        return None


@functools.lru_cache(maxsize=1)
def shipped_verifier() -> Verifier:
    """The verifier shipped in qa/data (fitted by `qa fit-verifier`), loaded and checked against the features once
    per process."""
    verifier = Verifier.load(VERIFIER_FILE)
    verifier.check(FEATURES)
    return verifier


_SURROGATE = re.compile("[\ud800-\udfff]")  # a lone half of a UTF-16 pair


def _encodable(text: str, doc_id: str) -> str:
    """`text` with each lone surrogate (a broken UTF-16 pair, which no file can hold) replaced by U+FFFD, said on
    stderr; offsets are unchanged (one character for one)."""
    if not _SURROGATE.search(text):
        return text
    print(f"{doc_id}: {len(_SURROGATE.findall(text))} undecodable characters replaced by U+FFFD", file=sys.stderr)
    return _SURROGATE.sub("\ufffd", text)


def _default_embedder(settings: Settings, quantized: bool = False, token_budget: int | None = None):
    from qa.embedder import Embedder

    return Embedder(cache_dir=settings.cache_dir, quantized=quantized, token_budget=token_budget)


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
