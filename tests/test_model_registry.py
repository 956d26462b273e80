"""Tests for qa.model_registry: models loaded once per process and shared, and an answering path without torch."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from qa import model_registry
from qa.errors import ModelUnavailableError
from qa.onnx_runtime import exact_int8_products
from qa.pipeline import Answerer
from qa.settings import REPO_DIR, Settings

# Modules only building and training need: answering must import none of them.
BUILD_ONLY = {"torch", "transformers", "sentence_transformers", "onnx", "safetensors", "training"}

TEXT = (
    "2023年，某市新建幼儿园12所，新增学位3600个。该市地铁3号线于2024年5月开通，全长21.5公里，设车站15座。"
    "市政府决定实行公开挂牌督办，由住建局牵头。"
)


@pytest.mark.model
def test_answering_imports_nothing_that_only_building_needs(answerer):
    model_registry.reader()  # built (with torch) in this process; the fresh process below only loads
    script = (
        "import json, sys\n"
        "from qa import answer\n"
        "answer('2022年大连建成了多少处口袋公园？')\n"
        "answer('大连湾海底隧道通车后有什么好处？')\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_DIR, capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert [name for name in loaded if name.split(".")[0] in BUILD_ONLY or name.startswith("qa.build")] == []
    assert "qa.reader" in loaded and "qa.encoder" in loaded  # the models did run


@pytest.mark.model
def test_preload_loads_the_shipped_models_on_a_thread_once_per_process(answerer):
    script = (
        "import json\n"
        "from qa import model_registry\n"
        "thread = model_registry.preload()\n"
        "assert model_registry.preload() is thread and thread.daemon\n"
        "thread.join()\n"
        "print(json.dumps(sorted(key[0] for key in model_registry._loaded)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_DIR, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == ["encoder", "reader"]


def test_a_failed_preload_is_left_to_the_answering_thread(monkeypatch, tmp_path):
    def unavailable(cache_dir=None, quantized=True):
        raise ModelUnavailableError(f"nothing built in {cache_dir}")

    monkeypatch.setattr(model_registry, "reader", unavailable)
    uncaught = []
    monkeypatch.setattr(threading, "excepthook", uncaught.append)
    model_registry.preload(tmp_path).join()
    assert uncaught == []


@pytest.mark.model
def test_every_answerer_of_a_process_shares_the_loaded_models(embedder):
    first = Answerer.from_texts({"a": TEXT})
    first.answer("新建了多少所幼儿园？")
    started = time.perf_counter()
    second = Answerer.from_texts({"b": TEXT})
    answer = second.answer("地铁3号线全长多少？")
    seconds = time.perf_counter() - started
    assert second._load_reader() is first._load_reader() is model_registry.reader(embedder.cache_dir)
    assert model_registry.encoder(None) is model_registry.encoder(embedder.cache_dir)
    assert answer.found and answer.text == "21.5公里"
    assert seconds < 5  # no model load: the benchmark prints the real figure (well under a second)


@pytest.mark.model
def test_texts_from_the_stated_size_are_embedded_by_the_int8_encoder(embedder):
    small = Answerer.from_texts({"a": TEXT})
    large = Answerer.from_texts({"a": TEXT}, Settings(int8_encoder_from_chars=len(TEXT)))
    assert small.retriever.dense.metadata.model_id == embedder.model_id
    assert large.retriever.dense.metadata.model_id == embedder.model_id + "-int8"
    assert large.embedder.quantized  # its questions are embedded by the same graph as its texts
    assert large.embedder.token_budget == Settings().embed_token_budget
    for answerer in (small, large):
        assert answerer.answer("地铁3号线全长多少？").text == "21.5公里"


@pytest.mark.model
def test_the_float32_and_int8_readers_are_both_loadable_and_distinct(embedder):
    int8, fp32 = model_registry.reader(quantized=True), model_registry.reader(quantized=False)
    assert int8 is not fp32 and int8.table is fp32.table  # one word-embedding table, memory-mapped once
    assert fp32.graph.name == "reader.onnx"
    assert int8.graph.name == ("reader-int8.onnx" if exact_int8_products() else "reader.onnx")
    passage = "2022年6月30日，大连市规模最大的城市快速路——渤海大道实现全线通车。"
    assert int8.read("渤海大道什么时候全线通车？", [passage]).best.text == "2022年6月30日"
    assert fp32.read("渤海大道什么时候全线通车？", [passage]).best.text == "2022年6月30日"
