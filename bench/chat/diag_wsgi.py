"""Kindred with one behaviour switched off, to measure what it costs. Diagnosis only: a run
with anything off is labelled `kindred-<mode>-no<thing>` and is never Kindred's figure.

    KINDRED_BENCH_OFF=presence gunicorn ... --pythonpath bench/chat diag_wsgi:app
    KINDRED_BENCH_OFF=presence flask --app bench/chat/diag_wsgi.py kindred serve

presence: `room:presence` is not broadcast on join, leave and disconnect (the join ack still
carries the member list). Each join otherwise sends the whole member list to every member
present, which is O(members^2) bytes while a room fills up (see README.md).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import app.realtime.chat as _rt  # noqa: E402
from app import create_app  # noqa: E402

OFF = {x for x in os.environ.get("KINDRED_BENCH_OFF", "").split(",") if x}
unknown = OFF - {"presence"}
if unknown:
    raise SystemExit(f"KINDRED_BENCH_OFF: unknown {sorted(unknown)}")
if "presence" in OFF:
    _rt._broadcast_presence = lambda room: None

app = create_app()
