"""The question-answering pipeline: question -> hybrid retrieval -> span extraction -> `Answer` with evidence."""

from __future__ import annotations

import functools
import sys
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from qa.article import ARTICLE_ID, read_article
from qa.boundaries import completes, typed_core
from qa.combine import Choice, choose, needs_reader
from qa.corpus import Corpus
from qa.crosslingual import Glossary, chinese_question, substrings
from qa.document import Document, parse_document, trim_span
from qa.errors import ReaderUnavailableError
from qa.extractor import SENTENCES_READ, Candidate, RuleExtractor
from qa.index import DenseIndex, load_or_build
from qa.keyword import KeywordIndex
from qa.labels import LABEL_PENALTY, mislabelled
from qa.question import DATE, DURATION, Question, analyse_question
from qa.results import Answer, Evidence
from qa.retriever import Hit, HybridRetriever
from qa.roles import answer_role
from qa.rules import fits_kind
from qa.settings import Settings
from qa.support import Support

if TYPE_CHECKING:
    from qa.reader import ReaderResult, ReaderSpan

# Chosen on the tuning split of eval/questions.jsonl (314 questions, 186 unanswerable): its best overall F1
# (`eval.metrics.best_threshold`) lies between an answer to an unanswerable question at 0.523 (大连湾海底隧道是我国…
# “超级工程” for 为什么选择沉管法施工) and a right one at 0.53; 0.55 keeps clear of the first, as an answer the article
# does not support is worse than none, and costs the second (tune HasAns F1 77.5 -> 76.8, NoAns 95.2 -> 95.7; CMRC
# trial F1 56.80 -> 56.79). The best overall EM, at 0.8, would drop most of the reader's answers: it counts the
# split's many unanswerable questions.
DEFAULT_THRESHOLD = 0.55
# Top sentences that the reader reads (joined per document, see `_reader_choice`). Measured on the tuning data
# (reader-mode HasAns EM / F1 on 300 CMRC trial questions; article tune split): 3 -> 22.7 / 53.1, 60.2 / 74.3;
# 4 -> 22.7 / 55.0, 63.9 / 75.0; 5 -> 24.0 / 55.7, 62.7 / 75.1; 6 -> 22.0 / 54.8, 63.9 / 76.1; 8 -> 21.7 / 54.6,
# 61.4 / 74.6 (NoAns on the tune split 80.0 throughout). 4 and 5 score alike; 5 reads ~12% slower than 4, which
# reads ~30% slower than 3 (answer p50 about 75 ms against 57 on this machine).
READER_PASSAGES = 4
# No answer from the reader's null score: its span counts only when it beats the reader's "no answer" by this many
# logits (`ReaderResult.margin_of`, SQuAD 2.0's null-score difference). The reader's probability, which the answer
# threshold sees, is a softmax share that is near 1 from a margin of about 5, so on its own it let through near misses
# the reader itself doubted (margins of 2 to 4: 4万个 for 新增多少个公共充电桩, where the article's 4万个 are 停车位).
# Chosen on the tuning data, for Chinese questions (the article's tune split: answerable exact / unanswerable
# declined; CMRC trial and 1,500 CMRC train questions, reader mode, F1): none 112 of 160 / 247 of 262, 56.91, 64.39;
# 2: 111 / 247, 56.78, 64.30; 3: 111 / 249, 56.71, 64.29; 4: 111 / 253, 56.46, 64.11; 5: 109 / 253, 56.17. At 4 the
# system stops answering six unanswerable questions for one right answer (1100万平方米) and some CMRC F1 (spans of
# the right place the reader was unsure of: CMRC's questions all have an answer, so every decline costs there).
# Not for English questions: they reach the reader as glossary words (万户大连市2022旧多少？), where its right answers'
# margins run lower (tune split median 10, Chinese 14.7) and overlap the wrong ones': a margin of 4 cost 3 of their
# 15 exact answers to decline 2 of their 4 wrong ones.
NULL_MARGIN = 4.0
# The score of an answer that the corpus's introduction of a person gives (`_role_choice`): above the threshold, below
# the rules' and the reader's surest answers.
ROLE_SCORE = 0.9
# The rules' candidates checked for what they answer (`_rules_choice`).
RULE_CANDIDATES_CHECKED = 3


class Answerer:
    """Answers questions over a corpus. Construction indexes the corpus; use `for_article` or `from_texts`.

    >>> answerer = Answerer.for_article()                    # doctest: +SKIP
    >>> answerer.answer("渤海大道什么时候全线通车？").text     # doctest: +SKIP
    '2022年6月30日'
    """

    def __init__(self, corpus: Corpus, dense: DenseIndex, embedder, settings: Settings, reader=None):
        self.corpus = corpus
        self.settings = settings
        self.embedder = embedder
        self.retriever = HybridRetriever(
            dense, KeywordIndex(corpus.passages()), settings.dense_candidates, settings.keyword_candidates, settings.rrf_k
        )
        self.extractor = RuleExtractor(corpus)
        self.support = Support(corpus)
        self._reader = reader  # None: the shipped reader, loaded on first use when settings.use_reader

    @classmethod
    def for_article(cls, settings: Settings | None = None, embedder=None, reader=None) -> "Answerer":
        """The shipped article with the index in `settings.index_dir` (built, with a message, when missing or stale)."""
        settings = settings if settings is not None else Settings()
        embedder = embedder if embedder is not None else _default_embedder(settings)
        corpus = Corpus([parse_document(read_article(), ARTICLE_ID)])
        dense = load_or_build(
            settings.resolved_index_dir(), corpus.passages(), embedder, corpus.sha256, corpus.chunking, settings.embed_batch_size
        )
        return cls(corpus, dense, embedder, settings, reader)

    @classmethod
    def from_texts(
        cls,
        texts: dict[str, str],
        settings: Settings | None = None,
        embedder=None,
        show_progress: bool = False,
        reader=None,
    ) -> "Answerer":
        """An in-memory index over any texts ({doc_id: text}); evidence then carries the doc id."""
        if not isinstance(texts, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in texts.items()):
            raise TypeError("texts must be a dict of {doc_id: text} strings")
        settings = settings if settings is not None else Settings()
        embedder = embedder if embedder is not None else _default_embedder(settings)
        corpus = Corpus([parse_document(text, doc_id) for doc_id, text in texts.items()])
        dense = DenseIndex.build(
            corpus.passages(), embedder, corpus.sha256, corpus.chunking, settings.embed_batch_size, show_progress
        )
        return cls(corpus, dense, embedder, settings, reader)

    @property
    def document(self) -> Document:
        """The first (for `for_article`, the only) document."""
        return self.corpus.documents[0]

    @functools.cached_property
    def glossary(self) -> Glossary:
        """English words -> the corpus's Chinese words, built on the first English question (about 0.3 s)."""
        return Glossary(substrings(self.corpus.passages()))

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
        q, terms, hits, ranked = self._run(question, timings)
        clock = time.perf_counter()
        choice = self._role_choice(q)
        if choice is None:
            rules = self._rules_choice(q, ranked)
            reader = self._checked(q, self._reader_choice(q, hits)) if needs_reader(q.kind, rules) else None
            missing = reader is not None and self._missing_entity(q, reader)
            choice = choose(q.kind, rules, reader, missing, self._reader_completes(q, rules, reader))
        timings["read"] = time.perf_counter() - clock
        timings["total"] = sum(timings.values())

        notes = [f"问题过长，只使用了前{self.settings.max_question_chars}个字。"] if q.truncated else []
        found = choice is not None and choice.score >= self.threshold
        evidence = self._evidence(hits, choice.row if found else None)
        if not found:
            score = choice.score if choice is not None else 0.0
            return Answer(q.text, "", False, score, None, None, None, evidence, timings, notes)
        document = self.corpus.rows[choice.row].document
        return Answer(
            question=q.text,
            text=document.source[choice.start : choice.end],
            found=True,
            score=choice.score,
            start=choice.start,
            end=choice.end,
            doc_id=document.doc_id,
            evidence=evidence,
            timings=timings,
            notes=notes,
            method=choice.method,
        )

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
        timings["question"] = time.perf_counter() - clock

        clock = time.perf_counter()
        query_vector = self.embedder.encode_queries([q.simplified])[0]
        timings["embed"] = time.perf_counter() - clock

        clock = time.perf_counter()
        wanted = max(self.settings.evidence_count, SENTENCES_READ, READER_PASSAGES)  # what is shown and what is read
        hits = self.retriever.retrieve(query_vector, keyword_query, wanted)
        timings["retrieve"] = time.perf_counter() - clock

        clock = time.perf_counter()
        ranked = self.extractor.extract(q, terms, hits)
        timings["extract"] = time.perf_counter() - clock
        return q, terms, hits, ranked

    def _role_choice(self, q: Question) -> Choice | None:
        """The corpus's introduction of the person the question asks about (`qa.roles`), when it asks who they are,
        what they work as or which post they hold; an introduction is a statement of the text: `ROLE_SCORE`."""
        found = answer_role(self.corpus, q, self.glossary.names(q.text) if q.english else [])
        if found is None:
            return None
        row, start, end = found
        return Choice(row, start, end, ROLE_SCORE, "introduction")

    def _rules_choice(self, q: Question, ranked: list[Candidate]) -> Choice | None:
        """The best of the rules' top candidates in the best one's sentence, once checked (`_checked`): a runner-up that
        answers what was asked beats a mislabelled first (10名“十佳新时代最美职工” over 90名“新时代最美职工”). Runners-up
        of other sentences are not considered: tried, on the tuning split a fragment of a place name (金普) then
        answered a question that the article does not answer."""
        if not ranked:
            return None
        candidates = [candidate for candidate in ranked[:RULE_CANDIDATES_CHECKED] if candidate.row == ranked[0].row]
        checked = [self._checked(q, self._candidate_choice(candidate)) for candidate in candidates]
        return max(filter(None, checked), key=lambda choice: choice.score, default=None)

    def _candidate_choice(self, candidate: Candidate) -> Choice:
        row = self.corpus.rows[candidate.row]
        start, end = row.sentence.source_span(candidate.start, candidate.end)
        return Choice(candidate.row, start, end, candidate.score, "rules")

    def _reader_choice(self, q: Question, hits: list[Hit]) -> Choice | None:
        """The reader's best span in the top sentences, or None without a reader or when the reader holds it no surer
        than "no answer" (`NULL_MARGIN`, Chinese questions).

        The top sentences of each document are joined in document order into one passage, and the passages read
        in one batch: on the tuning data this read faster than one passage a sentence (the question is encoded once)
        and found as many answers (the reader was trained on running text). A best span that runs across two of
        the joined sentences is no answer.
        """
        reader = self._load_reader()
        if reader is None or not hits:
            return None
        passages = self.corpus.joined_passages([hit.row for hit in hits[:READER_PASSAGES]])
        texts = [passage.text for passage in passages]
        question = q.simplified
        if q.english:
            translations = self.glossary.translate(q.text)
            question = chinese_question(translations, q.kind, "".join(texts), q.head) or question
        result = reader.read(question, texts)
        fitting = _fitting_span(q, result, texts)
        if fitting is None:
            return None
        span, start, end = fitting  # start, end: what would be shown
        if not q.english and result.margin_of(span) < NULL_MARGIN:
            return None
        passage = passages[span.passage]
        start, end = typed_core(q, passage.text, start, end)
        located = passage.locate(start, end)
        if located is None:
            return None
        row, start, end = located
        start, end = self.corpus.rows[row].sentence.source_span(start, end)
        return Choice(row, start, end, result.probability_of(span), "reader")

    def _trimmed(self, choice: Choice | None) -> Choice | None:
        """The choice without punctuation or unmatched quotes at its edges (see `trim_span`); None if nothing is left."""
        if choice is None:
            return None
        start, end = trim_span(self.corpus.rows[choice.row].document.source, choice.start, choice.end)
        return replace(choice, start=start, end=end) if start < end else None

    def _checked(self, q: Question, choice: Choice | None) -> Choice | None:
        """The span trimmed as it would be shown, keeping a quarter of its score when it answers something else than
        asked (`_answers_otherwise`). Each side is checked before `choose`, so a mislabelled reader span can lose to
        the rules' span, and a mislabelled rule span is not sure enough to skip the reader (`needs_reader`); an
        agreement of both keeps the cut when the boundaries it shows are those of a mislabelled side (`choose`)."""
        choice = self._trimmed(choice)
        if choice is not None and self._answers_otherwise(q, choice):
            choice = replace(choice, score=round(choice.score * LABEL_PENALTY, 6), fits=False)
        return choice

    def _reader_completes(self, q: Question, rules: Choice | None, reader: Choice | None) -> bool:
        """Whether the reader's span is the rules' name, place or organisation made whole (`qa.boundaries`)."""
        if rules is None or reader is None or rules.row != reader.row:
            return False
        source = self.corpus.rows[rules.row].document.source
        return completes(q, source[rules.start : rules.end], source[reader.start : reader.end])

    def _missing_entity(self, q: Question, choice: Choice) -> bool:
        """Whether the choice's paragraph lacks a name or number of the question (`qa.support`)."""
        names = self.glossary.names(q.text) if q.english else []
        return self.support.missing_name(q, choice.row, names)

    def _answers_otherwise(self, q: Question, choice: Choice) -> bool:
        """Whether the span's own sentence calls it something else than asked (see `qa.labels`) or dates it to
        another year (`qa.support`), or it lacks the asked form (`fits_kind`: "2022年" does not say which day)."""
        sentence = self.corpus.rows[choice.row].sentence
        source = self.corpus.rows[choice.row].document.source
        if (
            not fits_kind(q, source[choice.start : choice.end])
            or self.support.count_for_other_matter(q, choice.row)
            or self.support.other_year(q, choice.row)
        ):
            return True
        return mislabelled(q, source[sentence.start : sentence.end], choice.start - sentence.start, choice.end - sentence.start)

    def _load_reader(self):
        """The trained reader (shared by every Answerer of the process); None when disabled or not shipped."""
        if self._reader is None and self.settings.use_reader:
            self._reader = shipped_reader(self.embedder)
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


def _fitting_span(q: Question, result: ReaderResult, texts: list[str]) -> tuple[ReaderSpan, int, int] | None:
    """The reader's best span, with its bounds as it would be shown (`trim_span`), if so it has the asked form
    (`fits_kind`); for a date or duration question whose best span is a clause, the reader's next span of the asked
    form inside it (1510年 in the clause it marks for 刘六和刘七是何时在霸州起义的; 半个月 for 试乘体验活动为期多长时间:
    tune split +1 exact, CMRC trial +2 partly right; for numbers, with many in a clause, the next span answered How
    many households… with 88%左右).

    Otherwise none: "渤海大道全长多少公里？" is not answered by "1个小时", however sure the reader is. Dropped, not cut as
    `_checked` cuts a mislabelled span: a cut span of the wrong form could still outscore a rule span of the right one
    (tried: CMRC trial, 韩遂 for 谁… was declined).
    """
    best = result.best
    if best is None:
        return None
    spans = [best]
    if q.kind in (DATE, DURATION):
        spans += [s for s in result.spans[1:] if s.passage == best.passage and best.start <= s.start and s.end <= best.end]
    for span in spans:
        start, end = trim_span(texts[span.passage], span.start, span.end)
        if start < end and fits_kind(q, texts[span.passage][start:end]):
            return span, start, end
    return None


@functools.lru_cache(maxsize=2)
def shipped_reader(embedder):
    """The reader shipped in qa/models on ONNX Runtime, once per embedder; None (said once on stderr) when missing.

    It reads with the embedder's word-embedding table (the ONNX graphs start after the lookup).
    """
    from qa.models import MODELS_DIR, WEIGHTS_FILE
    from qa.onnx_export import reader_folder
    from qa.reader import OnnxReader

    table = embedder.word_embeddings
    try:
        return OnnxReader.load(reader_folder(MODELS_DIR / WEIGHTS_FILE, embedder.model_dir, table), table)
    except ReaderUnavailableError as error:
        print(f"Answering with the span rules only: {error}", file=sys.stderr)
        return None


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
