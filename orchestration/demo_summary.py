"""Printed at the end of `make demo`: where everything is and how big the reports are."""

from __future__ import annotations

from orchestration.settings import PROJECT_ROOT, Settings
from orchestration.warehouse import connect

REPORT_TABLES = (
    "marts.tabular_report",
    "marts.summary_messages",
    "marts.summary_sessions",
    "marts.summary_charges",
)


def main() -> None:
    settings = Settings.from_env()
    with connect(settings.warehouse, read_only=True) as conn:
        existing = {
            f"{schema}.{name}"
            for schema, name in conn.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        print("\nreport rows:")
        for table in REPORT_TABLES:
            if table in existing:
                (rows,) = conn.execute(f"select count(*) from {table}").fetchone()
                print(f"  {table:<28} {rows:>9}")
    print(f"warehouse: {settings.warehouse}")
    print(f"CSV exports: {PROJECT_ROOT / 'data' / 'exports'}")
    print(f"docs site: {PROJECT_ROOT / 'data' / 'docs' / 'index.html'}")
    print(f"stakeholder report: {PROJECT_ROOT / 'data' / 'report.html'}")
    print(f"serving copy for analysts: {settings.serving} (wa-reports sql)")


if __name__ == "__main__":
    main()
