"""Every check over every row: `wa-reports check` and the weekly Dagster job.

A scheduled run's dbt tests read every row of their models, but its Great Expectations
checks judge what it loaded and rebuilt: the raw checks its partitions, the summary
checks the dates it rebuilt. A raw row that changed outside a run (a hand edit, a bug in
an earlier version, a damaged disk) is then never judged again. The full check is blind
to nothing: every dbt data test, and every Great Expectations check over every partition
and date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from orchestration import warehouse
from orchestration.dbt.invocation import dbt_in_own_target
from orchestration.quality.checks import MODEL_CHECKS, RAW_CHECKS, REGISTRY_CHECKS, CheckScope
from orchestration.settings import Settings

# dbt's statuses of a test that did not pass, and the level each stands for.
DBT_LEVELS = {"fail": "ERROR", "error": "ERROR", "warn": "WARN"}


@dataclass(frozen=True)
class Finding:
    """One check that did not pass."""

    kind: str  # "dbt" or "gx"
    name: str
    severity: str  # "ERROR" or "WARN"
    detail: str

    def line(self) -> str:
        label = "FAIL" if self.severity == "ERROR" else "WARN"
        return f"{label} {self.kind} {self.name}: {self.detail}"[:200]


@dataclass
class FullCheck:
    dbt_tests: int = 0
    gx_checks: int = 0
    findings: list[Finding] | None = None
    dbt_output: str = ""

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings or [] if f.severity == "ERROR"]

    @property
    def warned(self) -> list[Finding]:
        return [f for f in self.findings or [] if f.severity != "ERROR"]

    def summary(self) -> str:
        warnings = len(self.warned)
        return (
            f"checked {self.dbt_tests} dbt tests and {self.gx_checks} data-quality checks over "
            f"every row: {len(self.failed)} failed, {warnings} warning{'s' * (warnings != 1)}"
        )


def _dbt_findings(run_results: Path) -> tuple[int, list[Finding]]:
    results = json.loads(run_results.read_text())["results"]
    findings = []
    for result in results:
        level = DBT_LEVELS.get(result["status"])
        if level is None:
            continue
        name = result["unique_id"].split(".")[2]
        failures = result.get("failures")
        detail = f"{failures} failing rows" if failures else (result.get("message") or "")
        findings.append(Finding("dbt", name, level, detail.splitlines()[0] if detail else ""))
    # The project's hooks (operations) are in the results too: count the tests only.
    tests = [result for result in results if result["unique_id"].startswith("test.")]
    return len(tests), findings


def run_full_check(settings: Settings) -> FullCheck:
    """Run every dbt data test and every data-quality check over all rows of the
    warehouse."""
    outcome = FullCheck(findings=[])
    # The data tests only: unit tests check the SQL on rows of their own, not the data
    # (CI runs them, tests/test_dbt_unit_tests.py), and would add about 8 s.
    test = ("test", "--exclude-resource-type", "unit_test")
    with dbt_in_own_target(*test, settings=settings, capture=True) as (completed, target):
        outcome.dbt_output = completed.stdout
        run_results = target / "run_results.json"
        if not run_results.exists():  # dbt could not start (no warehouse, a parse error)
            last = completed.stdout.strip().splitlines()[-1:] or ["dbt test did not run"]
            outcome.findings.append(Finding("dbt", "dbt test", "ERROR", last[0]))
        else:
            outcome.dbt_tests, found = _dbt_findings(run_results)
            outcome.findings.extend(found)
    scope = CheckScope(settings.quarantine_threshold, None, settings.landing_dir)
    checks = RAW_CHECKS + REGISTRY_CHECKS + MODEL_CHECKS
    with warehouse.connect(settings.warehouse, read_only=True) as conn:
        for check in checks:
            result = check.evaluate(conn, scope)
            if not result.passed:
                name = f"{check.asset} {check.name}"
                outcome.findings.append(Finding("gx", name, check.severity, result.summary()))
    outcome.gx_checks = len(checks)
    return outcome
