"""Candidates from every source, each once (qa.verify.candidates), on small texts without models."""

from qa.corpus import Corpus
from qa.document import parse_document
from qa.extractor import Candidate as RuleCandidate
from qa.question import analyse_question
from qa.reader import ReaderResult, ReaderSpan
from qa.verify.candidates import Reading, propose


def _reading(corpus: Corpus, parts: list[tuple[str, float]], null: float = 0.0) -> Reading:
    passages = tuple(corpus.joined_passages(list(range(len(corpus)))))
    text = passages[0].text
    spans = tuple(ReaderSpan(0, text.index(p), text.index(p) + len(p), p, score) for p, score in parts)
    return Reading(ReaderResult(spans, null, 0.9), passages)


def test_spans_are_trimmed_as_shown_and_merged_across_sources():
    text = "大连“公园城市”建设的目标是实现“300米见绿、500米进园”，让市民在绿色中生活。"
    corpus = Corpus([parse_document(text, "goal")])
    sentence = corpus.rows[0].sentence.text
    start = sentence.index("300")
    rule = RuleCandidate(0, 0, start, start + len("300米见绿、500米进园"), "300米见绿、500米进园", 0.7, {})
    reading = _reading(corpus, [("300米见绿、500米进园”，", 6.0), ("，", 5.0)])
    found = propose(corpus, analyse_question("大连公园城市的目标是什么？", 300), [rule], reading, None)
    assert [c.text for c in found] == ["300米见绿、500米进园"]  # "，" alone trims to nothing
    (candidate,) = found
    assert candidate.rules.score == 0.7 and candidate.reader.margin == 6.0 and candidate.method == "rules+reader"


def test_the_typed_core_of_a_reader_clause_is_a_candidate_of_its_own():
    text = "正德五年（1510年）十月，刘六、刘七在霸州起义，攻打了8个县。"
    corpus = Corpus([parse_document(text, "history")])
    reading = _reading(corpus, [("正德五年（1510年）十月", 9.0)])
    found = propose(corpus, analyse_question("刘六和刘七是哪一年起义的？", 300), [], reading, None)
    by_text = {c.text: c for c in found}
    assert by_text["1510年"].reader.cut and not by_text["正德五年（1510年）十月"].reader.cut
    clause = _reading(corpus, [("正德五年（1510年）十月，刘六", 9.0)])
    found = propose(corpus, analyse_question("刘六和刘七攻打了多少个县？", 300), [], clause, None)
    assert not any(c.reader.cut for c in found)  # no count inside: no core


def test_a_reader_list_closed_by_etc_is_also_proposed_without_it():
    text = "幸福，缘于办证难、用气难、出行难等一批群众急难愁盼问题得到妥善解决。"
    corpus = Corpus([parse_document(text, "list")])
    reading = _reading(corpus, [("办证难、用气难、出行难等", 9.0), ("群众急难愁盼问题", 4.0)])
    found = propose(corpus, analyse_question("哪些群众急难愁盼问题得到解决？", 300), [], reading, None)
    by_text = {c.text: c for c in found}
    assert by_text["办证难、用气难、出行难"].reader.cut and by_text["办证难、用气难、出行难"].reader.margin == 9.0
    assert not by_text["办证难、用气难、出行难等"].reader.cut
    assert set(by_text) == {"办证难、用气难、出行难等", "办证难、用气难、出行难", "群众急难愁盼问题"}


def test_a_reader_phrase_opened_by_a_preposition_is_also_proposed_without_it():
    text = "巧嫂评理说事室通过开门说事、评理调事、便民答事等，收集社情民意。"
    corpus = Corpus([parse_document(text, "how")])
    reading = _reading(corpus, [("通过开门说事、评理调事、便民答事等", 7.0)])
    found = propose(corpus, analyse_question("巧嫂评理说事室怎样收集社情民意？", 300), [], reading, None)
    assert [(c.text, c.reader.cut) for c in found] == [
        ("通过开门说事、评理调事、便民答事等", False), ("通过开门说事、评理调事、便民答事", True),
        ("开门说事、评理调事、便民答事等", True), ("开门说事、评理调事、便民答事", True)]


def test_a_reader_span_across_two_sentences_read_together_is_none():
    corpus = Corpus([parse_document("大连建成112处公园。新增停车位4.5万个。", "d")])
    reading = _reading(corpus, [("112处公园。新增", 9.0), ("4.5万个", 8.0)])
    found = propose(corpus, analyse_question("新增多少个停车位？", 300), [], reading, None)
    assert [(c.row, c.text) for c in found] == [(1, "4.5万个")]


def test_an_introduction_is_addressed_in_its_sentence():
    text = "标题\n\n大连湾海底隧道有限公司副总工程师孙磊表示，隧道今年通车。"
    corpus = Corpus([parse_document(text, "d")])
    row = next(i for i, r in enumerate(corpus.rows) if "孙磊" in r.sentence.text)
    start = text.index("大连湾")
    found = propose(corpus, analyse_question("孙磊是谁？", 300), [], None, (row, start, text.index("孙磊")))
    assert [(c.text, c.introduction, c.method) for c in found] == [("大连湾海底隧道有限公司副总工程师", True, "introduction")]
