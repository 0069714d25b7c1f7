"""Benchmark: a sign-in with an unknown username against one with a known username and a wrong
password, through the real web app (argon2 with the recommended settings). Both must cost the same,
so that the time of a refusal does not tell whether an account exists.

    python -m bench.sign_in [--tries 15]

Prints the median time of each path and their ratio (target: within 0.8–1.25).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=15)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QA_DATA_DIR"] = tmp
        os.environ.pop("QA_DATABASE_URL", None)
        from fastapi.testclient import TestClient

        from qa_engine.cli.main import initialise_all
        from qa_engine.config import reset_settings
        from qa_engine.domain.roles import Role
        from qa_engine.services import web_sessions
        from qa_engine.services.users import add_user
        from qa_engine.store.db import reset_engines, session_scope
        from qa_engine.web.app import create_app

        reset_settings()
        reset_engines()
        initialise_all()
        with session_scope() as s:
            add_user(
                session=s,
                username="known.person",
                full_name="Known Person",
                email="known@example.eu",
                roles=[Role.QA_OFFICER],
                password="the right password 123",
            )
        # the throttle would refuse the repeated failures of one address: not what is measured here
        web_sessions.MAX_FAILURES_PER_USERNAME = web_sessions.MAX_FAILURES_PER_IP = 10**6
        client = TestClient(create_app())

        def attempt(username: str) -> float:
            page = client.get("/sign-in")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            t = time.perf_counter()
            r = client.post(
                "/sign-in",
                data={"username": username, "password": "a wrong password", "csrf_token": token},
                follow_redirects=False,
            )
            elapsed = time.perf_counter() - t
            assert r.status_code == 401, r.status_code
            return elapsed

        attempt("warm.up")
        times: dict[str, list[float]] = {"unknown": [], "wrong": []}
        for i in range(args.tries):  # alternating, so that a busy moment of the machine hits both
            times["unknown"].append(attempt(f"nobody{i}"))
            times["wrong"].append(attempt("known.person"))
        unknown, wrong = statistics.median(times["unknown"]), statistics.median(times["wrong"])
        print(
            f"unknown username {unknown * 1000:.0f} ms, wrong password {wrong * 1000:.0f} ms "
            f"(medians of {args.tries}); ratio {unknown / wrong:.2f} (target 0.8–1.25)"
        )
        reset_engines()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
