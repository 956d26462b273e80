"""Whose boundaries an answer is shown with: a name or a place the reader gives whole."""

import pytest

from qa.boundaries import completes_body, completes_name, completes_place, typed_core
from qa.question import analyse_question


@pytest.mark.parametrize(
    "name, span, expected",
    [
        ("熊谷元", "熊谷元直", True),  # jieba cut the name short
        ("罗米尼", "博罗米尼", True),
        ("孙磊", "副总工程师孙磊", False),  # a title, not more of the name
        ("阮爱馨", "阮爱馨女士", False),
        ("孙磊", "孙磊", False),
        ("孙磊", "王强", False),
    ],
)
def test_a_name_made_whole(name, span, expected):
    assert completes_name(name, span) is expected


@pytest.mark.parametrize(
    "question, place, span, expected",
    [
        ("芙蓉洞位于什么地方？", "重庆武隆县", "重庆武隆县江口镇的芙蓉江畔", True),  # the question's 芙蓉 inside is fine
        ("路口镇位于什么地方？", "湖南省", "湖南省长沙县东北部", True),
        ("张岩家住哪个小区？", "大连市", "大连市中山区港湾隽景小区", True),  # ends with the asked 小区
        ("张岩家住哪个小区？", "港湾隽景小区", "大连市中山区港湾隽景小区", False),  # the units above the asked one
        ("星海街位于大连哪个区？", "沙河口区", "大连市沙河口区", False),  # opens on what the question says
        ("首届比赛在哪里举行？", "南京市浦口区", "南京市浦口区明发珍珠泉大酒店举行", False),  # closes on its verb
        ("芙蓉洞位于什么地方？", "重庆武隆县", "武隆县", False),
    ],
)
def test_a_place_given_in_full(question, place, span, expected):
    assert completes_place(analyse_question(question, 300), place, span) is expected


@pytest.mark.parametrize(
    "body, span, expected",
    [
        ("三友电器设备有限公司", "大连三友电器设备有限公司", True),  # jieba cut 大连 off
        ("DC漫画公司", "DC漫画公司的", False),  # a word after the name
        ("三友电器设备有限公司", "三友电器设备有限公司", False),
    ],
)
def test_an_organisation_given_in_full(body, span, expected):
    assert completes_body(analyse_question("黄伟东是哪家公司的总经理？", 300), body, span) is expected


@pytest.mark.parametrize(
    "question, span, core",
    [
        ("孙晋家住在哪里？", "家住在老虎滩附近", "老虎滩附近"),  # where he lives, without 家住在
        ("Where does Sun Jin live?", "家住在老虎滩附近", "老虎滩附近"),
        ("李桂珍住在哪里？", "住在香川社区", "香川社区"),
        ("星海街位于哪个区？", "位于沙河口区", "位于沙河口区"),  # CMRC's annotators keep 位于
        ("孙晋家住在哪里？", "老虎滩附近", "老虎滩附近"),
        ("孙晋家住在哪里？", "住在", "住在"),  # nothing after the verb: left as it is
        ("孙晋说了什么？", "家住在老虎滩附近", "家住在老虎滩附近"),  # not a place question
    ],
)
def test_a_place_without_the_words_that_say_someone_lives_there(question, span, core):
    text = f"我{span}。"
    start, end = typed_core(analyse_question(question, 300), text, 1, 1 + len(span))
    assert text[start:end] == core

