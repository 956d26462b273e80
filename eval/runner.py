"""Runs an evaluation set through an answerer (article, SQuAD reader, reader-only or open mode) into `Record`s."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Protocol

from tqdm import tqdm

from eval import metrics
from eval.datasets import EvalItem, EvalSet
from eval.records import EvidenceRef, Record
from qa.settings import Settings

MODES = ("article", "reader", "reader-only", "open")


class AnswererFactory(Protocol):
    """What the runner needs to build answerers: `SharedModelsFactory` for real runs, fakes in tests."""

    def for_article(self, settings: Settings | None = None) -> Any: ...

    def from_texts(self, texts: dict[str, str], settings: Settings | None = None) -> Any: ...

    def reader_only(self, texts: dict[str, str], settings: Settings | None = None) -> Any: ...


@dataclass(frozen=True)
class Run:
    """The records of one run and what is needed to read them."""

    mode: str
    records: tuple[Record, ...]
    default_threshold: float  # the system's own threshold (the answerer's `threshold`)
    settings: dict  # the settings the answerers ran with (answer_threshold 0.0)
    build_s: float  # seconds spent building answerers
    answer_s: float  # seconds spent answering


class SharedModelsFactory:
    """Builds `qa.Answerer`s that share one embedder (and `ReaderOnly`s that share one reader); tests pass fakes here.
    The loaded models themselves are shared by every Answerer of the process (`qa.model_registry`)."""

    def __init__(self, embedder: Any = None, reader: Any = None) -> None:
        self._embedder = embedder  # None: a real `qa.embedder.Embedder`, made on first build
        self._reader = reader  # for mode reader-only; None: the shipped reader, loaded by the first `reader_only`

    def _shared_embedder(self, settings: Settings | None):
        if self._embedder is None:
            from qa.embedder import Embedder  # pulls in the model code: only when a real run starts

            self._embedder = Embedder(cache_dir=settings.cache_dir if settings is not None else None)
        return self._embedder

    def for_article(self, settings: Settings | None = None) -> Any:
        from qa import Answerer

        return Answerer.for_article(settings, embedder=self._shared_embedder(settings))

    def from_texts(self, texts: dict[str, str], settings: Settings | None = None) -> Any:
        from qa import Answerer

        return Answerer.from_texts(texts, settings, embedder=self._shared_embedder(settings))

    def reader_only(self, texts: dict[str, str], settings: Settings | None = None) -> ReaderOnly:
        """The shipped reader alone over the one document of `texts` (raises ReaderUnavailableError without it)."""
        from qa.errors import ReaderUnavailableError
        from qa.pipeline import shipped_reader

        if self._reader is None:
            self._reader = shipped_reader(settings if settings is not None else Settings())
            if self._reader is None:
                raise ReaderUnavailableError("mode reader-only needs the trained reader (qa/models/reader.safetensors)")
        (doc_id, text), = texts.items()
        return ReaderOnly(self._reader, doc_id, text)


class ReaderOnly:
    """The trained reader alone on one document: it reads all of it in one batch and answers with its best span.

    This is the protocol of published SQuAD v1 / CMRC 2018 figures (RBT3, ELECTRA-small): no retrieval, no span
    rules, no abstention (threshold 0), so it measures the trained model, where mode "reader" measures the whole
    system on the same paragraph. Spans are capped as the pipeline caps the reader's (`SpanReader.read`'s default).
    """

    threshold = 0.0

    def __init__(self, reader: Any, doc_id: str, text: str) -> None:
        self.reader = reader
        self.doc_id = doc_id
        self.text = text

    def answer(self, question: str) -> SimpleNamespace:
        started = time.perf_counter()
        result = self.reader.read(question, [self.text])
        timings = {"read": time.perf_counter() - started}
        # The whole paragraph is given, not retrieved: it is the evidence whether or not a span is found.
        fields = {"evidence": (EvidenceRef(self.doc_id, 0, len(self.text), 1.0),), "timings": timings}
        best = result.best
        if best is None:
            return SimpleNamespace(**(vars(_NO_ANSWER) | fields))
        return SimpleNamespace(text=best.text, found=True, score=float(result.probability), start=best.start,
                               end=best.end, doc_id=self.doc_id, **fields)


_NO_ANSWER = SimpleNamespace(text="", found=False, score=0.0, start=None, end=None, doc_id=None, evidence=(), timings={})


def make_record(item: EvalItem, answer: Any, wall_s: float) -> Record:
    """Score one `qa.Answer` (or a fake with the same fields) against its item."""
    prediction = answer.text if answer.found else ""
    evidence = tuple(EvidenceRef(e.doc_id, e.start, e.end, e.score) for e in answer.evidence)
    retrieval_known = bool(item.answerable and item.evidence_spans)
    return Record(
        id=item.id, question=item.question, kind=item.kind, split=item.split, answerable=item.answerable,
        answers=item.answers, prediction=prediction, found=bool(answer.found), score=float(answer.score),
        start=answer.start, end=answer.end, doc_id=answer.doc_id,
        em=metrics.exact_match(prediction, item.answers) if item.answerable else 0.0,
        f1=metrics.f1_score(prediction, item.answers) if item.answerable else 0.0,
        overlaps_gold=bool(answer.found)
        and metrics.overlaps_gold(answer.start, answer.end, answer.doc_id, item.answer_spans),
        retrieval_known=retrieval_known,
        gold_rank=metrics.gold_rank(evidence, item.evidence_spans) if retrieval_known else None,
        evidence=evidence, timings=dict(answer.timings), wall_s=wall_s,
        why=tuple((name, float(value)) for name, value in getattr(answer, "why", ())),
    )


def run_set(
    eval_set: EvalSet,
    mode: str,
    factory: AnswererFactory | None = None,
    settings: Settings | None = None,
    progress: bool = True,
) -> Run:
    """Answer every item of `eval_set` and keep a `Record` for each, in item order.

    mode "article": one `factory.for_article()`. mode "reader": each question's own paragraph is the
    whole document; one answerer per distinct paragraph, reused for all its questions (building embeds
    the paragraph). mode "reader-only": the same paragraphs, read whole by the trained reader alone
    (`ReaderOnly`). mode "open": one answerer over every paragraph of the file, sampled or not, so the
    system must find the paragraph. Answerers run with `answer_threshold=0.0`, so every candidate comes
    back with its score and any threshold can be applied afterwards.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if (mode == "article") != (eval_set.source == "article"):
        raise ValueError(f"mode {mode!r} does not fit a {eval_set.source} set")
    if not eval_set.items:
        raise ValueError(f"{eval_set.path}: no questions to run")
    factory = factory if factory is not None else SharedModelsFactory()
    base = settings if settings is not None else Settings()
    run_settings = base.with_(answer_threshold=0.0)

    started = time.perf_counter()
    default_threshold = base.answer_threshold
    if default_threshold is None:
        default_threshold = float(_probe(factory, eval_set, mode, base).threshold)
    build_s = time.perf_counter() - started
    answer_s = 0.0
    records: dict[str, Record] = {}
    with tqdm(total=len(eval_set.items), desc=f"eval {mode}", unit="q", disable=not progress) as bar:
        for texts, items in _groups(eval_set, mode):
            started = time.perf_counter()
            if texts is None:
                answerer = factory.for_article(run_settings)
            elif mode == "reader-only":
                answerer = factory.reader_only(texts, run_settings)
            else:
                answerer = factory.from_texts(texts, run_settings)
            build_s += time.perf_counter() - started
            for item in items:
                started = time.perf_counter()
                # CMRC trial holds empty questions: the system rightly answers none, and they count as misses.
                answer = answerer.answer(item.question) if item.question.strip() else _NO_ANSWER
                wall_s = time.perf_counter() - started
                answer_s += wall_s
                records[item.id] = make_record(item, answer, wall_s)
                bar.update(1)
    return Run(
        mode=mode, records=tuple(records[item.id] for item in eval_set.items),
        default_threshold=float(default_threshold),
        settings=run_settings.to_dict(), build_s=build_s, answer_s=answer_s,
    )


def _groups(eval_set: EvalSet, mode: str) -> list[tuple[dict[str, str] | None, list[EvalItem]]]:
    """(documents to build an answerer over, the items it answers); None means the shipped article."""
    if mode == "article":
        return [(None, list(eval_set.items))]
    if mode == "open":
        return [(dict(eval_set.documents), list(eval_set.items))]
    by_doc: dict[str, list[EvalItem]] = {}
    for item in eval_set.items:
        by_doc.setdefault(item.doc_id, []).append(item)
    return [({doc_id: eval_set.documents[doc_id]}, items) for doc_id, items in by_doc.items()]


def _probe(factory: AnswererFactory, eval_set: EvalSet, mode: str, settings: Settings) -> Any:
    """An answerer built with the caller's own settings, only to read the threshold it would use (reader-only: 0).

    For SQuAD files it covers one paragraph, so the probe costs one paragraph's embedding.
    """
    if mode == "article":
        return factory.for_article(settings)
    if mode == "reader-only":
        return ReaderOnly
    doc_id = eval_set.items[0].doc_id
    return factory.from_texts({doc_id: eval_set.documents[doc_id]}, settings)


def records_by_split(records: Sequence[Record]) -> dict[str, list[Record]]:
    """{"tune": [...], "report": [...], "all": [...]}, leaving out splits with no records."""
    splits = {name: [r for r in records if r.split == name] for name in ("tune", "report")}
    splits["all"] = list(records)
    return {name: rs for name, rs in splits.items() if rs}
