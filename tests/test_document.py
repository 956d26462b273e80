"""Tests for qa.document: layout units, page-break repair, sentences and exact source offsets."""

from __future__ import annotations

import doctest

import pytest

import qa.document
from qa.article import read_article
from qa.document import KINDS, Document, Sentence, parse_document, split_sentences

# A made-up page in the same layout: a caption with its credit cuts a sentence in section 1, a
# paragraph is cut by a bare blank line in section 2, and the credit of the second photo has its own line.
SYNTHETIC = """
某某县推进民生工程——日子越过越红火

本报记者 张 三 李四

核心提示 记者走访某某县。民生工程件件落地。

1 书香满城 阅读更方便

今年，某某县

新建图书馆5座，惠及读者3万人。“书就在家门口，真方便！”居民赵敏说。馆长表示：“明年还要再建。”




孩子们在新馆里读书。 本报记者 张 三 摄

每座图书馆都配有

自助借还设备。

2 道路畅通 出行更安全

全县新修农村公路80公里，其中



新修的农村公路。

本报特约记者 王 五 摄

山区公路占一半。

简讯
 JIANXUN

县医院新楼启用

本报讯 记者李四报道 县医院新楼今日启用；床位增加200张。
"""

# A CMRC-style context: one paragraph, no layout at all.
PLAIN = "　　范廷颂枢机（，），圣名保禄·若瑟（），是越南罗马天主教枢机。1963年被任为主教；1990年被擢升为河内总教区宗座署理！他说：“我很高兴。”"


@pytest.fixture(scope="module")
def doc() -> Document:
    return parse_document(read_article(), doc_id="dalian")


@pytest.fixture(scope="module")
def synthetic() -> Document:
    return parse_document(SYNTHETIC)


def joined(source: str, pieces: tuple[tuple[int, int], ...]) -> str:
    return "".join(source[s:e] for s, e in pieces)


def assert_invariants(d: Document) -> None:
    src = d.source
    covered: list[tuple[int, int]] = []
    for k, unit in enumerate(d.units):
        assert unit.index == k and unit.kind in KINDS
        assert joined(src, unit.pieces) == unit.text
        assert unit.text and unit.text == unit.text.strip()
        assert all(s < e and src[s:e].strip() for s, e in unit.pieces)
        assert all(a[1] < b[0] for a, b in zip(unit.pieces, unit.pieces[1:])), "pieces sorted, apart"
        assert (unit.start, unit.end) == (unit.pieces[0][0], unit.pieces[-1][1])
        covered.extend(unit.pieces)
    covered.sort()
    assert all(a[1] <= b[0] for a, b in zip(covered, covered[1:])), "units overlap"
    for k, sentence in enumerate(d.sentences):
        unit = d.unit_of(sentence)
        assert sentence.index == k and unit is d.units[sentence.unit]
        assert joined(src, sentence.pieces) == sentence.text
        assert sentence.text and sentence.text == sentence.text.strip()
        assert all(s < e for s, e in sentence.pieces)
        assert all(a[1] <= b[0] for a, b in zip(sentence.pieces, sentence.pieces[1:]))
        for s, e in sentence.pieces:
            assert any(us <= s and e <= ue for us, ue in unit.pieces), (sentence.text, unit.text)
    # The sentences of a unit use up all of its non-blank text, in order.
    for unit in d.units:
        texts = [s.text for s in d.sentences if s.unit == unit.index]
        assert "".join(texts).replace(" ", "") == unit.text.replace(" ", "")


def uncovered_text(d: Document) -> str:
    """Every non-blank source character that no unit keeps."""
    kept = set()
    for unit in d.units:
        for s, e in unit.pieces:
            kept.update(range(s, e))
    return "".join(c for i, c in enumerate(d.source) if i not in kept and not c.isspace())


def sentence_with(d: Document, needle: str) -> Sentence:
    found = [s for s in d.sentences if needle in s.text]
    assert len(found) == 1, (needle, [s.text for s in found])
    return found[0]


@pytest.mark.parametrize("text", [read_article(), SYNTHETIC, PLAIN, "一句话", "a\r\nb。\r\n\r\nc", "标题\n\n\n\n正文。"])
def test_offsets_are_exact_for_every_unit_and_sentence(text):
    assert_invariants(parse_document(text))


def test_only_decoration_is_dropped_from_the_article(doc):
    assert uncovered_text(doc) == "SULAN"


@pytest.mark.parametrize(
    "needle",
    [
        "2022年，大连市共完成老旧小区改造717万平方米",
        "任何项目不允许调减。",
        "大连市确定“十个推进”重点任务",
        "和合大院形成的基层社会治理场景，已由“盆景”变成“风景”。",
        "“这条渤海大道堪称金光大道，给街道的经济发展带来了新的机遇。”大魏家街道副主任王霞谈及渤海大道格外兴奋。",
    ],
)
def test_sentences_cut_by_page_breaks_are_rejoined(doc, needle):
    sentence = sentence_with(doc, needle)
    assert len(sentence.pieces) == 2
    first, second = sentence.pieces
    gap = doc.source[first[1] : second[0]]
    assert gap.strip() == "" or any(first[1] <= u.start and u.end <= second[0] for u in doc.units)


def test_a_caption_inside_a_cut_sentence_stays_a_unit_of_its_own(doc):
    sentence = sentence_with(doc, "基层社会治理场景")
    caption = next(u for u in doc.units if u.kind == "caption" and u.text.startswith("和合大院的居民"))
    assert sentence.pieces[0][1] < caption.start < caption.end < sentence.pieces[1][0]
    assert doc.unit_of(sentence).index < caption.index
    assert [s.text for s in doc.sentences if s.unit == caption.index] == [caption.text]


def test_synthetic_page_breaks_are_repaired_by_rule(synthetic):
    texts = [s.text for s in synthetic.sentences]
    assert "今年，某某县新建图书馆5座，惠及读者3万人。" in texts
    assert "每座图书馆都配有自助借还设备。" in texts
    assert "全县新修农村公路80公里，其中山区公路占一半。" in texts
    library = sentence_with(synthetic, "某某县新建图书馆5座")
    caption = next(u for u in synthetic.units if u.text == "孩子们在新馆里读书。")
    # A cut by a bare blank line: both halves sit before the caption.
    assert library.pieces[1][1] < caption.start
    road = sentence_with(synthetic, "其中山区公路")
    road_caption = next(u for u in synthetic.units if u.text == "新修的农村公路。")
    assert road.pieces[0][1] < road_caption.start < road.pieces[1][0]


def test_synthetic_layout(synthetic):
    kinds = [(u.kind, u.text) for u in synthetic.units]
    assert kinds[:3] == [
        ("headline", "某某县推进民生工程——日子越过越红火"),
        ("byline", "本报记者 张三 李四"),
        ("lead", "核心提示 记者走访某某县。民生工程件件落地。"),
    ]
    assert ("caption", "孩子们在新馆里读书。") in kinds
    assert ("credit", "本报记者 张三 摄") in kinds
    assert ("credit", "本报特约记者 王五 摄") in kinds
    assert ("brief_header", "简讯") in kinds
    assert ("brief_title", "县医院新楼启用") in kinds
    assert "JIANXUN" not in "".join(u.text for u in synthetic.units)
    brief = next(u for u in synthetic.units if u.kind == "brief")
    assert synthetic.location(brief) == "简讯 · 县医院新楼启用 · 第1段"
    assert [s.text for s in synthetic.sentences if s.unit == brief.index] == [
        "本报讯 记者李四报道 县医院新楼今日启用；",
        "床位增加200张。",
    ]


def test_article_captions_and_credits(doc):
    captions = [u.text for u in doc.units if u.kind == "caption"]
    credits = [u.text for u in doc.units if u.kind == "credit"]
    assert captions == [
        "大连创业就业博览会现场，主播正在推介岗位。",
        "伴随着城市建设的加快和城市品质的提升，大连愈加美丽宜居。",
        "大连市民参与地铁5号线试乘体验活动。",
        "和合大院的居民清扫小区，美化家园环境。",
    ]
    assert credits == ["本报记者 王荣琦 摄", "本报特约记者 王华 摄", "本报记者 王荣琦 摄", "本报特约记者 王华 摄"]
    for unit in doc.units:
        if unit.kind in ("caption", "credit"):
            assert [s.text for s in doc.sentences if s.unit == unit.index] == [unit.text]


def test_article_front_matter(doc):
    headline, byline, lead = doc.units[:3]
    assert (headline.kind, headline.text) == ("headline", "大连市坚持让振兴发展成果惠及民生——城市更美好 人民更幸福")
    assert (byline.kind, byline.text) == ("byline", "本报记者 吕丽 王荣琦")
    assert doc.source[byline.start : byline.end] == "本报记者 吕 丽 王荣琦"
    assert lead.kind == "lead" and lead.text.startswith("核心提示 连日来")
    assert (doc.location(headline), doc.location(lead)) == ("标题", "导语")


def test_headings_number_their_sections(doc):
    headings = [u for u in doc.units if u.kind == "heading"]
    assert [(u.section_no, u.text) for u in headings] == [
        (1, "1 城市万象更新 市民生活品质提升"),
        (3, "3 坚持问需于民 民生实事赢得民心"),
        (2, "2 密织交通网络 出行更加通畅快捷"),
        (4, "4 创新基层治理 用心用力服务群众"),
    ]
    body = [u for u in doc.units if u.kind == "body"]
    assert all(u.section_no is not None and u.section.startswith(str(u.section_no)) for u in body)
    first_of_section_2 = next(u for u in body if u.section_no == 2)
    assert first_of_section_2.paragraph == 1 and first_of_section_2.text.startswith("“地铁5号线的开通")
    section_1 = [u.paragraph for u in body if u.section_no == 1]
    assert section_1 == list(range(1, 12))  # the paragraph cut after "2022年，大连市" counts once


def test_briefs_belong_to_their_titles(doc):
    titles = [u.text for u in doc.units if u.kind == "brief_title"]
    assert titles == [
        "实施十项行动 为职工办实事解难事",
        "群团组织 联合开展协同创新活动",
        "公积金三项指标 居全省首位",
        "选树百名“最美职工” 展现奋斗之美",
    ]
    briefs = [u for u in doc.units if u.kind == "brief"]
    assert len(briefs) == 11
    assert all(u.section_no is None and u.section.startswith("速览 · ") for u in briefs)
    fund = next(u for u in briefs if u.text.startswith("本报讯 记者杨丽娟报道"))
    assert fund.section == "速览 · 公积金三项指标 居全省首位"
    assert doc.location(fund) == "速览 · 公积金三项指标 居全省首位 · 第1段"


def test_locations(doc):
    def located(prefix: str) -> str:
        (unit,) = [u for u in doc.units if u.text.startswith(prefix)]
        return doc.location(unit)

    assert located("春风拂面") == "第1部分 · 第1段"
    assert located("家住西岗区") == "第1部分 · 第6段"
    assert located("大连市民参与地铁5号线") == "第2部分 · 图片说明"
    assert located("本报记者 吕丽") == "署名"
    assert located("3 坚持问需于民") == "第3部分 · 小标题"
    assert located("速览") == "速览"
    plain = parse_document("第一段。\n\n第二段。\n\n第三段。")
    assert [plain.location(u) for u in plain.units] == ["第1段", "第2段", "第3段"]


def test_two_captions_in_a_section_are_numbered():
    text = "正文一。\n\n图一。 本报记者 张三 摄\n\n正文二。\n\n图二。\n\n本报记者 李四 摄"
    d = parse_document(text)
    captions = [d.location(u) for u in d.units if u.kind == "caption"]
    assert captions == ["第1幅图片说明", "第2幅图片说明"]
    assert [d.location(u) for u in d.units if u.kind == "body"] == ["第1段", "第2段"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("“别看面积不大。真上心！”居民王伟说。下一句。", ["“别看面积不大。真上心！”居民王伟说。", "下一句。"]),
        ("他说：“我很高兴。”", ["他说：“我很高兴。”"]),
        ("引语没有开头。”他说。好。", ["引语没有开头。”", "他说。", "好。"]),
        ("“未闭合的引号。第二句。", ["“未闭合的引号。", "第二句。"]),
        ("新增停车位4万个；继续推进加装电梯。", ["新增停车位4万个；", "继续推进加装电梯。"]),
        ("提高基本生活标准……今年，大连市确定实施。", ["提高基本生活标准……今年，大连市确定实施。"]),
        ("真的吗？！当然。", ["真的吗？！", "当然。"]),
        ("结果是OK!然后继续。版本v1.0;x不断开", ["结果是OK!", "然后继续。", "版本v1.0;x不断开"]),
        ("第一句。  \n 第二句", ["第一句。", "第二句"]),
        ("   ", []),
        ("", []),
    ],
)
def test_split_sentences(text, expected):
    assert [text[i:j] for i, j in split_sentences(text)] == expected


def test_a_long_quotation_is_split_inside():
    quote = "“" + "很长的话，" * 30 + "完。" + "又一句。”"
    assert len(split_sentences(quote)) == 2


def test_offset_mapping_across_a_page_break(doc):
    sentence = sentence_with(doc, "717万平方米")
    cut = sentence.text.index("共完成")
    assert sentence.source_offset(cut) == doc.source.index("共完成")
    assert sentence.source_offset(cut - 1) == doc.source.index("2022年，大连市\n") + len("2022年，大连市") - 1
    assert sentence.source_offset(len(sentence.text)) == sentence.end
    i, j = cut - 3, cut + 3  # "大连市共完成"
    assert sentence.text[i:j] == "大连市共完成"
    start, end = sentence.source_span(i, j)
    assert doc.source[start:end] == "大连市\n\n共完成"
    assert joined(doc.source, sentence.source_pieces(i, j)) == "大连市共完成"
    assert sentence.source_span(2, 2) == (sentence.source_offset(2),) * 2
    with pytest.raises(IndexError):
        sentence.source_offset(len(sentence.text) + 1)
    with pytest.raises(IndexError):
        sentence.source_span(3, 2)


def test_plain_paragraph_without_layout():
    d = parse_document(PLAIN, doc_id="cmrc")
    assert [(u.kind, u.section, u.section_no, d.location(u)) for u in d.units] == [("body", "", None, "第1段")]
    assert d.units[0].start == 2  # the full-width indent is not part of the text
    assert [s.text for s in d.sentences] == [
        "范廷颂枢机（，），圣名保禄·若瑟（），是越南罗马天主教枢机。",
        "1963年被任为主教；",
        "1990年被擢升为河内总教区宗座署理！",
        "他说：“我很高兴。”",
    ]


@pytest.mark.parametrize("text", ["", " \n\n\u3000\n"])
def test_blank_text_gives_an_empty_document(text):
    d = parse_document(text, doc_id="empty")
    assert (d.doc_id, d.source, d.units, d.sentences) == ("empty", text, (), ())


def test_non_text_is_rejected():
    with pytest.raises(TypeError, match="bytes"):
        parse_document(b"abc")  # type: ignore[arg-type]


def test_article_counts(doc):
    assert len(doc.units) == 74
    assert len(doc.sentences) == 128
    assert [u.kind for u in doc.units].count("body") == 43


def test_docstring_examples():
    assert doctest.testmod(qa.document).failed == 0


@pytest.mark.parametrize("text", ["大连建成口袋公园" * 2000, "口袋公园，" * 900, "a" * 5000, "大连 " * 3000 + "？"])
def test_a_run_without_sentence_ends_is_cut_into_bounded_sentences(text):
    spans = split_sentences(text)
    assert max(end - start for start, end in spans) <= qa.document.MAX_SENTENCE_CHARS
    assert "".join(text[start:end] for start, end in spans).replace(" ", "") == text.replace(" ", "")
    if "，" in text:  # cut after a clause mark when one lies within reach
        assert all(text[end - 1] == "，" for _, end in spans[:-1])


def test_the_articles_sentences_are_all_shorter_than_the_cap(doc):
    assert max(len(sentence.text) for sentence in doc.sentences) < qa.document.MAX_SENTENCE_CHARS
