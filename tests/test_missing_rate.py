"""R22: a chargeable conversation with no matching rate fails the run; never a silent 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e_landing import B1, U_IN1, W1, post, request, st
from tests.landing_builders import write_lines

WA_REPORTS = Path(sys.executable).parent / "wa-reports"


def test_a_conversation_without_a_rate_fails_the_run_with_exit_1(tmp_path):
    landing = tmp_path / "landing"
    write_lines(
        landing / "api_logs/dt=2024-01-10/a.jsonl",
        [
            request(
                "x1",
                "2024-01-10T10:00:00Z",
                W1,
                B1,
                [U_IN1],
                "template",
                "Your code",
                template="otp_code",
            ),
        ],
    )
    origin = "authentication_international"  # the rate card has no row for it
    write_lines(
        landing / "webhook_logs/dt=2024-01-10/a.jsonl",
        [
            post(
                "2024-01-10T10:00:02Z",
                W1,
                B1,
                [
                    st(
                        "w.x1.0",
                        "sent",
                        "2024-01-10T10:00:01",
                        U_IN1,
                        "cv-x",
                        origin,
                        "2024-01-11T10:00:01",
                    )
                ],
            ),
            post(
                "2024-01-10T10:00:04Z",
                W1,
                B1,
                [st("w.x1.0", "delivered", "2024-01-10T10:00:03", U_IN1, "cv-x", origin)],
            ),
        ],
    )
    run = subprocess.run(
        [
            str(WA_REPORTS),
            "run",
            "--landing-dir",
            str(landing),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert (
        "check every_chargeable_conversation_has_a_rate on marts/fct_conversations failed"
        in run.stdout
    )
    assert "run failed" in run.stdout.splitlines()[-1]
