"""The corpus: sentences of several documents as rows, and rows joined into passages for the reader."""

from qa.corpus import Corpus
from qa.document import parse_document

TEXTS = {
    "bridge": "2022年6月30日，渤海大道实现全线通车。这条道路往返节约了1个小时。",
    "parks": "2022年，大连建成112处口袋公园，新增停车位4.5万个。",
}


def test_reader_passages_join_top_sentences_per_document_in_document_order():
    corpus = Corpus([parse_document(text, doc_id) for doc_id, text in TEXTS.items()])
    rows = {row.sentence.text: i for i, row in enumerate(corpus.rows)}
    first, second = "2022年6月30日，渤海大道实现全线通车。", "这条道路往返节约了1个小时。"
    park = "2022年，大连建成112处口袋公园，新增停车位4.5万个。"
    passages = corpus.joined_passages([rows[second], rows[park], rows[first]])
    assert [passage.text for passage in passages] == [first + second, park]  # documents by best row, sentences in order
    joined = passages[0]
    start = joined.text.index("1个小时")
    assert joined.locate(start, start + 4) == (rows[second], second.index("1个小时"), second.index("1个小时") + 4)
    assert joined.locate(len(first) - 3, len(first) + 2) is None  # runs across the two sentences


def test_a_paragraph_longer_than_the_budget_is_read_around_the_sentence():
    text = "".join(f"第{i}句讲口袋公园。" for i in range(400))  # one paragraph of 400 sentences
    corpus = Corpus([parse_document(text, "long")])
    row = next(i for i, r in enumerate(corpus.rows) if r.sentence.text.startswith("第200句"))
    (passage,) = corpus.joined_paragraphs([row], budget=100)
    assert "第200句" in passage.text and len(passage.text) <= 100
    assert passage.text.startswith("第19") and passage.text.endswith("口袋公园。")  # neighbours on both sides


def test_the_checks_read_a_long_paragraph_around_the_sentence_and_a_short_one_whole():
    text = "".join(f"第{i}句讲口袋公园。" for i in range(400))
    corpus = Corpus([parse_document(text, "long"), parse_document(TEXTS["bridge"], "bridge")])
    row = next(i for i, r in enumerate(corpus.rows) if r.sentence.text.startswith("第200句"))
    around = corpus.paragraph_around(row, budget=100)
    assert "第200句" in around and "第180句" not in around and len(around) <= 100
    assert len(corpus.paragraph_around(row)) <= 2000  # the default budget
    short = next(i for i, r in enumerate(corpus.rows) if r.document.doc_id == "bridge")
    assert corpus.paragraph_around(short) == TEXTS["bridge"]
