"""Nothing leaves the machine: an index build, answers and the web app serving /ask, traced with strace."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from qa.settings import REPO_DIR

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace (bash scripts/setup.sh --browser)"),
]

REQUESTS = 100
# Builds the article's index in a fresh folder, answers, serves the app and asks /ask REQUESTS times, then waits long
# enough for a periodic lookup (ONNX Runtime's telemetry looked up its host every ~5 s) to show.
SCRIPT = f"""
import socket, sys, tempfile, time
from pathlib import Path
import app
from gradio_client import Client
from qa.pipeline import Answerer
from qa.settings import Settings
answerer = Answerer.for_article(Settings(index_dir=Path(tempfile.mkdtemp())))
answerer.answer("2022年大连建成了多少处口袋公园？")
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
demo = app.build_demo(lambda: answerer)
_, url, _ = app.serve(demo, "127.0.0.1", port, block=False)
client = Client(url, verbose=False)
found = sum(client.predict("渤海大道什么时候全线通车？", api_name="/ask")["found"] for _ in range({REQUESTS}))
time.sleep(8)
demo.close()
print("answered", found)
"""
_FAMILY = re.compile(r"sa_family=(AF_\w+)")
_ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')
LOCAL = {"127.0.0.1", "::1", "0.0.0.0", "::"}


def test_no_connection_leaves_the_machine(tmp_path):
    trace = tmp_path / "connect.trace"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace), sys.executable, "-c", SCRIPT],
        cwd=REPO_DIR, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"answered {REQUESTS}" in done.stdout
    calls = [line for line in trace.read_text().splitlines() if "connect(" in line]
    outside = []
    for line in calls:
        family, address = _FAMILY.search(line), _ADDRESS.search(line)
        if family and family.group(1) in ("AF_UNIX", "AF_NETLINK", "AF_UNSPEC"):
            continue
        if address is None or (address.group(1) or address.group(2)) not in LOCAL or "htons(53)" in line:  # DNS
            outside.append(line)
    assert len(calls) > REQUESTS  # the trace did see the client's loopback connections
    assert outside == []
