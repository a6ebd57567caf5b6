"""Trainee attempts in the case-work database, written as each answer is given (nothing lost on close).

Tables (owned by this module, created through :func:`kokuho_nb.store.db.ensure_schema` as ``training``):

- ``training_sessions``: one row per exercise set started in the app (officer, flowchart, level, seed, size);
- ``training_attempts``: one row per answered question (exercise id, answer JSON, result, points, time).

A session is *passed* when every question was answered and the points reach the pass mark
(``parameters/training/required_courses.yaml``).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kokuho_nb.params import load_yaml
from kokuho_nb.store import Store
from kokuho_nb.store.db import transaction

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS training_sessions (
        session_id TEXT PRIMARY KEY,
        officer_code TEXT NOT NULL,
        flowchart_id TEXT NOT NULL,
        flowchart_digest TEXT NOT NULL,
        level TEXT NOT NULL,
        seed INTEGER NOT NULL,
        n_questions INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        synthetic INTEGER NOT NULL DEFAULT 1
    )""",
    """CREATE TABLE IF NOT EXISTS training_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES training_sessions(session_id),
        officer_code TEXT NOT NULL,
        exercise_id TEXT NOT NULL,
        flowchart_id TEXT NOT NULL,
        level TEXT NOT NULL,
        kind TEXT NOT NULL,
        answer TEXT NOT NULL,
        result TEXT NOT NULL CHECK (result IN ('right', 'partial', 'wrong')),
        points REAL NOT NULL,
        answered_at TEXT NOT NULL,
        UNIQUE (session_id, exercise_id)
    )""",
    "CREATE INDEX IF NOT EXISTS training_attempts_officer ON training_attempts(officer_code)",
]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


SCHEMA_NAME = "training"


def db(store: Store) -> sqlite3.Connection:
    return store.db(SCHEMA_NAME, SCHEMA)


def start_session(store: Store, officer_code: str, flowchart_id: str, flowchart_digest: str,
                  level: str, seed: int, n_questions: int) -> str:
    """Record the start of an exercise set; returns its session id."""
    session_id = uuid.uuid4().hex
    conn = db(store)
    with transaction(conn):
        conn.execute(
            "INSERT INTO training_sessions(session_id, officer_code, flowchart_id, flowchart_digest, level, "
            "seed, n_questions, started_at, synthetic) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (session_id, officer_code, flowchart_id, flowchart_digest, level, int(seed), int(n_questions), _now()),
        )
    return session_id


@dataclass(frozen=True)
class Attempt:
    """One answer to one exercise: what was asked (exercise, flowchart, level, kind), what was answered, how it
    scored (``right`` / ``partial`` / ``wrong`` and the points)."""

    exercise_id: str
    flowchart_id: str
    level: str
    kind: str
    response: dict[str, Any]
    result: str
    points: float


def record_attempt(store: Store, session_id: str, officer_code: str, attempt: Attempt,
                   answered_at: str | None = None) -> bool:
    """Store one answer at once (its own short transaction). A second answer to the same question in the same
    session is ignored (the first answer counts); returns whether the row was written."""
    conn = db(store)
    with transaction(conn):
        cur = conn.execute(
            "INSERT OR IGNORE INTO training_attempts(session_id, officer_code, exercise_id, flowchart_id, "
            "level, kind, answer, result, points, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, officer_code, attempt.exercise_id, attempt.flowchart_id, attempt.level, attempt.kind,
             json.dumps(attempt.response, ensure_ascii=False, default=str), attempt.result, float(attempt.points),
             answered_at or _now()),
        )
        return cur.rowcount == 1


def attempts(store: Store, officer_code: str | None = None) -> pd.DataFrame:
    """Every stored answer (optionally of one officer), oldest first; ``answer`` decoded."""
    sql = "SELECT * FROM training_attempts" + (" WHERE officer_code = ?" if officer_code else "") + " ORDER BY id"
    rows = db(store).execute(sql, (officer_code,) if officer_code else ()).fetchall()
    df = pd.DataFrame([dict(r) for r in rows], columns=[
        "id", "session_id", "officer_code", "exercise_id", "flowchart_id", "level", "kind", "answer", "result",
        "points", "answered_at"])
    df["answer"] = df["answer"].map(json.loads)
    return df


def pass_rule() -> tuple[float, int]:
    spec = load_yaml("training/required_courses.yaml")
    return float(spec["pass_mark"]["value"]), int(spec.get("min_questions_for_pass", 1))


def sessions(store: Store) -> pd.DataFrame:
    """One row per session: officer, flowchart, level, questions, answered, points, ratio, completed_at, passed."""
    rows = db(store).execute(
        "SELECT s.session_id, s.officer_code, s.flowchart_id, s.level, s.seed, s.n_questions, s.started_at, "
        "COUNT(a.id) AS answered, COALESCE(SUM(a.points), 0) AS points, MAX(a.answered_at) AS completed_at "
        "FROM training_sessions s LEFT JOIN training_attempts a ON a.session_id = s.session_id "
        "GROUP BY s.session_id ORDER BY s.started_at, s.rowid"
    ).fetchall()
    df = pd.DataFrame([dict(r) for r in rows], columns=[
        "session_id", "officer_code", "flowchart_id", "level", "seed", "n_questions", "started_at", "answered",
        "points", "completed_at"])
    mark, min_q = pass_rule()
    df["ratio"] = (df["points"] / df["n_questions"].where(df["n_questions"] > 0)).fillna(0.0)
    df["passed"] = (df["answered"] >= df["n_questions"]) & (df["n_questions"] >= min_q) & (df["ratio"] >= mark)
    df["completed_at"] = pd.to_datetime(df["completed_at"], utc=True, errors="coerce")
    return df
