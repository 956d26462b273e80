"""What citizens say of answers (👍, 👎, 答案有误), kept in a SQLite file, and exported for staff as eval-set rows.

Each row holds the question as typed and as understood, the answer shown (or the decline), its sentence and location,
the score and the time; `qa feedback export` writes the disputed ones in the article set's JSONL format, with
`answers` and `kind` left for staff to fill in (`eval/questions.jsonl`, docs/evaluation.md).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

from qa.results import Answer
from qa.settings import default_cache_dir

FEEDBACK_FILE = "feedback.sqlite"
VERDICTS = ("like", "dislike", "wrong")  # 👍, 👎, 答案有误
DISPUTED = ("dislike", "wrong")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    verdict TEXT NOT NULL,
    question TEXT NOT NULL,
    understood TEXT NOT NULL,
    found INTEGER NOT NULL,
    answer TEXT NOT NULL,
    score REAL NOT NULL,
    start INTEGER,
    end INTEGER,
    sentence TEXT,
    sentence_start INTEGER,
    sentence_end INTEGER,
    location TEXT
)
"""


def default_feedback_path() -> Path:
    return default_cache_dir() / FEEDBACK_FILE


class FeedbackStore:
    """Feedback rows in one SQLite file (created on the first write); safe to share between threads.

    >>> store = FeedbackStore(tmp_path / "feedback.sqlite")  # doctest: +SKIP
    >>> store.add("dislike", "渤海大道全长多少？", "渤海大道全长多少？", answer)  # doctest: +SKIP
    1
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_feedback_path()
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute(_SCHEMA)
        return connection

    def add(self, verdict: str, question: str, understood: str, answer: Answer) -> int:
        """Store one verdict on `answer` (given to `understood`, typed as `question`); returns the row's id."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
        sentence = answer.evidence[0] if answer.evidence else None
        row = (
            time.strftime("%Y-%m-%dT%H:%M:%S%z"), verdict, question, understood, int(answer.found), answer.text,
            float(answer.score), answer.start, answer.end, sentence and sentence.text, sentence and sentence.start,
            sentence and sentence.end, sentence and sentence.location,
        )
        with self._lock, closing(self._connect()) as connection, connection:
            cursor = connection.execute(
                "INSERT INTO feedback (at, verdict, question, understood, found, answer, score, start, end, sentence,"
                " sentence_start, sentence_end, location) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cursor.lastrowid)

    def rows(self, verdicts: tuple[str, ...] = VERDICTS) -> list[dict]:
        """Every stored row with one of `verdicts`, oldest first (none when the file does not exist yet)."""
        if not self.path.exists():
            return []
        with self._lock, closing(self._connect()) as connection:
            connection.row_factory = sqlite3.Row
            marks = ", ".join("?" * len(verdicts))
            found = connection.execute(f"SELECT * FROM feedback WHERE verdict IN ({marks}) ORDER BY id", verdicts)
            return [dict(row) for row in found]


def disputed_rows(store: FeedbackStore) -> list[dict]:
    """The 👎 and 答案有误 rows as article-set rows: the question, the sentence shown as evidence, and what the system
    said; `answers` and `kind` are empty for staff to fill in (an empty `answers` with kind "unanswerable" when the
    article does not say it)."""
    return [
        {
            "id": f"fb{row['id']:05d}",
            "question": row["understood"],
            "answers": [],
            "kind": "",
            "evidence": row["sentence"] or "",
            "evidence_start": row["sentence_start"],
            "evidence_end": row["sentence_end"],
            "split": "tune",
            "feedback": {
                "verdict": row["verdict"],
                "at": row["at"],
                "asked": row["question"],
                "system_answer": row["answer"] if row["found"] else None,
                "score": row["score"],
                "location": row["location"],
            },
        }
        for row in store.rows(DISPUTED)
    ]


def export(store: FeedbackStore, out) -> int:
    """Write the disputed rows to the text stream `out`, one JSON object a line; returns how many."""
    rows = disputed_rows(store)
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)
