"""Data-quality checks: Great Expectations suites over small frames queried from DuckDB."""
