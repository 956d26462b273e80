"""Load check for the web app: many simultaneous gradio_client users; every answer arrives, to the right user, unchanged.

    python scripts/load_check.py                      # launches the app in-process (real engine)
    python scripts/load_check.py --url http://127.0.0.1:7860/ --users 20 --questions 10

Each user is its own client session. Even-numbered users chat (endpoint "chat", with their own
history), odd-numbered users call the "ask" endpoint. Every result is compared with a reference
answer to the same question, taken sequentially before the load starts: a lost, failed or
mixed-up request shows as a mismatch. Prints p50/p95 latency; exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# Complete questions (no follow-ups), so a chat user's history cannot change how they are understood.
QUESTIONS = (
    "2022年大连建成了多少处口袋公园？",
    "渤海大道什么时候全线通车？",
    "大连湾海底隧道有限公司副总工程师是谁？",
    "How many pocket parks did Dalian build in 2022?",
    "大连市的市长是谁？",
    "大连湾海底隧道的设计时速是多少？",
    "2022年大连市完成老旧小区改造多少平方米？",
    "全市建立了多少家“法治超市”？",
    "地铁5号线首日有多少人参与试乘？",
    "截至2022年末，大连住房公积金累计归集总额是多少？",
    "大连三友电器设备有限公司总经理是谁？",
    "今年大连计划新增多少个停车位？",
)


@dataclass(frozen=True)
class Result:
    user: int
    endpoint: str
    question: str
    seconds: float
    outcome: str  # what the server returned, reduced to what the reference is compared on
    error: str = ""


def _ask_outcome(client, question: str) -> str:
    answer = client.predict(question, api_name="/ask")
    # The question is in the outcome: an answer delivered to the wrong request cannot match.
    evidence = [e["start"] for e in answer["evidence"]]
    return repr((answer["question"], answer["text"], answer["found"], answer["start"], answer["end"], evidence))


def _chat_outcome(client, question: str, chat: list) -> tuple[str, list]:
    chat = client.predict(question, chat, api_name="/chat")[1]  # the question box, the history, then the panels
    asked = "".join(part["text"] for part in chat[-2]["content"])
    reply = "".join(part["text"] for part in chat[-1]["content"])
    return repr((asked, reply)), chat


def _references(url: str, questions: list[str]) -> dict[tuple[str, str], str]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    references = {}
    for question in questions:
        references["ask", question] = _ask_outcome(client, question)
        references["chat", question] = _chat_outcome(Client(url, verbose=False), question, [])[0]
    return references


def _user(url: str, user: int, questions: list[str], start: threading.Barrier, results: list[Result]) -> None:
    from gradio_client import Client

    endpoint = "chat" if user % 2 == 0 else "ask"
    client = Client(url, verbose=False)
    chat: list = []
    start.wait()
    for question in questions:
        clock = time.perf_counter()
        try:
            if endpoint == "ask":
                outcome = _ask_outcome(client, question)
            else:
                outcome, chat = _chat_outcome(client, question, chat)
            results.append(Result(user, endpoint, question, time.perf_counter() - clock, outcome))
        except Exception as error:  # a failed request is a finding to report, not a reason to stop the others
            results.append(Result(user, endpoint, question, time.perf_counter() - clock, "", repr(error)))
    if endpoint == "chat" and len(chat) != 2 * len(questions):
        results.append(Result(user, endpoint, "<history>", 0.0, "", f"chat history has {len(chat)} messages"))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _launch() -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import app

    print("loading the engine (builds index/ on first run)…", flush=True)
    app.engine.get().warm_up()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _, url, _ = app.serve(app.demo, "127.0.0.1", port, block=False)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app (default: launch one in this process)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10, help="questions per user")
    args = parser.parse_args(argv)
    if args.users < 1 or args.questions < 1:
        parser.error(f"--users and --questions must be at least 1, got {args.users} and {args.questions}")

    url = args.url if args.url is not None else _launch()
    # Each user starts at a different place in the list, so simultaneous requests ask different things.
    plans = [[QUESTIONS[(user + k) % len(QUESTIONS)] for k in range(args.questions)] for user in range(args.users)]
    distinct = sorted({q for plan in plans for q in plan})

    clock = time.perf_counter()
    references = _references(url, distinct)
    print(f"references: {len(distinct)} questions, each endpoint, one at a time, in {time.perf_counter() - clock:.1f} s")

    results: list[Result] = []
    start = threading.Barrier(args.users)
    threads = [threading.Thread(target=_user, args=(url, u, plans[u], start, results)) for u in range(args.users)]
    clock = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - clock

    answered = [r for r in results if not r.error]
    failed = [r for r in results if r.error and r.question != "<history>"]
    broken_histories = [r for r in results if r.question == "<history>"]
    mismatched = [r for r in answered if r.outcome != references[r.endpoint, r.question]]
    expected = args.users * args.questions
    print(f"{args.users} users x {args.questions} questions = {expected} requests in {wall:.1f} s "
          f"({len(answered) / wall:.2f} answers/s)")
    print(f"answered {len(answered)}, failed {len(failed)}, lost {expected - len(answered) - len(failed)}, "
          f"mismatched {len(mismatched)}")
    for endpoint in ("chat", "ask"):
        seconds = [r.seconds for r in answered if r.endpoint == endpoint]
        if seconds:
            print(f"{endpoint:>4}: p50 {_percentile(seconds, 0.5):.2f} s, p95 {_percentile(seconds, 0.95):.2f} s, "
                  f"max {max(seconds):.2f} s, mean {statistics.mean(seconds):.2f} s ({len(seconds)} requests)")
    seconds = [r.seconds for r in answered]
    if seconds:
        print(f" all: p50 {_percentile(seconds, 0.5):.2f} s, p95 {_percentile(seconds, 0.95):.2f} s")
    if broken_histories:
        print(f"{len(broken_histories)} chat histories lost or gained messages")
    for r in (failed + broken_histories + mismatched)[:10]:
        print(f"  user {r.user} {r.endpoint} {r.question!r}: {r.error or 'answer differs from the reference'}")
    return 0 if len(answered) == expected and not mismatched and not broken_histories else 1


if __name__ == "__main__":
    sys.exit(main())
