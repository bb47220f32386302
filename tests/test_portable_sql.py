"""No model holds engine-specific SQL: every difference goes through the dispatch macros
in dbt_project/macros/ (portable.sql, incremental_partitions.sql, raw_sources.sql).

A small lint over the model, singular-test and analysis files for functions and syntax
that exist on DuckDB only (or on Spark only). Comments are ignored; macro files are not
scanned, since that is where engine-specific SQL belongs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast  # no warehouse built from landing data

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("models", "tests/dbt", "analyses")

DUCKDB_ONLY_FUNCTIONS = [
    "json_extract",
    "json_extract_string",
    "json_extract_path",
    "json_transform",
    "unnest",
    "make_timestamp",
    "make_date",
    "epoch",
    "epoch_ms",
    "to_timestamp",
    "strftime",
    "strptime",
    "date_diff",
    "date_part",
    "datepart",
    "today",
    "list_value",
    "list_aggregate",
    "list_transform",
    "struct_pack",
    "regexp_full_match",
    "string_split",
    "arg_min",
    "arg_max",
    "list",
    "read_parquet",
    "read_json",
    "read_json_auto",
    "read_csv",
    "read_csv_auto",
]
SPARK_ONLY_FUNCTIONS = [
    "get_json_object",
    "from_json",
    "explode",
    "timestamp_seconds",
    "date_format",
    "named_struct",
    "collect_list",
]
DUCKDB_ONLY_SYNTAX = {
    r"::": "a `::` cast (use cast(x as type))",
    r"\bexclude\s*\(": "select * exclude (...)",
    r"\bgroup\s+by\s+all\b": "group by all",
    r"\border\s+by\s+all\b": "order by all",
    r"->>|->": "a JSON arrow operator",
    r"\blambda\b": "a lambda",
    r"\bvarchar\b": "varchar (Spark needs a length: use dbt.type_string())",
}
FORBIDDEN = {
    rf"\b{name}\s*\(": f"{name}() is {engine}-only"
    for engine, names in (("DuckDB", DUCKDB_ONLY_FUNCTIONS), ("Spark", SPARK_ONLY_FUNCTIONS))
    for name in names
} | DUCKDB_ONLY_SYNTAX


def strip_comments(sql: str) -> str:
    sql = re.sub(r"\{#.*?#\}", " ", sql, flags=re.S)
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    return re.sub(r"--[^\n]*", " ", sql)


def findings(sql: str) -> list[str]:
    text = strip_comments(sql).lower()
    # Call sites of the project's dispatch macros and of dbt's cross-database macros
    # (`{{ json_string(...) }}`, `{{ dbt.dateadd(...) }}`) are the portable spelling.
    text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)
    return [why for pattern, why in FORBIDDEN.items() if re.search(pattern, text)]


def sql_files() -> list[Path]:
    return sorted(p for folder in SCANNED for p in (ROOT / folder).rglob("*.sql"))


def test_the_lint_flags_engine_specific_sql_and_passes_portable_sql():
    assert findings("select json_extract_string(raw_line, '$.id') from t") == [
        "json_extract_string() is DuckDB-only"
    ]
    assert findings("select unnest(xs) as x, a::date from t group by all") == [
        "unnest() is DuckDB-only",
        "a `::` cast (use cast(x as type))",
        "group by all",
    ]
    assert findings("select explode(from_json(j, 'array<string>'))") == [
        "from_json() is Spark-only",
        "explode() is Spark-only",
    ]
    portable = """
        -- json_extract_string( in a comment is fine
        select {{ json_string('raw_line', '$.id') }} as id,
            cast(x as {{ dbt.type_string() }}) as y,
            {{ dbt.dateadd('hour', 24, 'opened_at') }} as z
        from {{ ref('stg') }}
    """
    assert findings(portable) == []


def test_model_files_were_found():
    names = {p.name for p in sql_files()}
    assert {"tabular_report.sql", "stg_api_logs__request_recipients.sql"} <= names


@pytest.mark.parametrize("path", sql_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_engine_specific_sql_outside_the_dispatch_macros(path):
    assert findings(path.read_text(encoding="utf-8")) == []
