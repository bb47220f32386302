# Every target installs what it needs into .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SPARK_STAMP := $(VENV)/.installed-spark-stamp

export WA_LANDING_DIR ?= data/landing
export WA_WAREHOUSE ?= data/warehouse.duckdb

# A week across Meta's switch to per-message pricing (2025-07-01): every report has rows.
DEMO_START ?= 2025-06-27
DEMO_DAYS ?= 7
DEMO_MESSAGES_PER_DAY ?= 2000

.PHONY: install install-spark browser demo test test-fast test-duckdb test-spark lint dev bench clean

# --compile-bytecode: machines here set PYTHONDONTWRITEBYTECODE=1, so without .pyc files
# every process (each `wa-reports` call, each test worker) recompiled Dagster and Great
# Expectations from source: about 6 s per process start.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	$(BIN)/python -c "from orchestration.dbt.manifest import ensure_manifest; from orchestration.dbt.project import dbt_project; ensure_manifest(dbt_project)"
	touch $(STAMP)

install: $(STAMP)

$(SPARK_STAMP): $(STAMP)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev,spark]'
	touch $(SPARK_STAMP)

install-spark: $(SPARK_STAMP)

# Debian's Chromium, for the tests that open the docs site and the report (root on CI).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

demo: install
	rm -rf $(WA_LANDING_DIR) $(WA_WAREHOUSE) data/exports
	$(BIN)/wa-reports generate --landing-dir $(WA_LANDING_DIR) --start $(DEMO_START) --days $(DEMO_DAYS) --messages-per-day $(DEMO_MESSAGES_PER_DAY)
	$(BIN)/wa-reports run
	$(BIN)/wa-reports export --out data/exports
	$(BIN)/wa-reports docs --out data/docs
	$(BIN)/wa-reports report --out data/report.html
	@$(BIN)/python -m orchestration.demo_summary

# The tests that build no warehouse from landing data (validation, partitions and
# schedules, the asset graph, CLI usage, sample data, dbt unit tests): under a minute.
test-fast: install
	$(BIN)/pytest -n 2 --dist load -m fast

# Every test: the whole suite on DuckDB, then the end-to-end reports on Spark. On a fresh
# machine Chromium's apt install and the Python install download side by side.
test:
	$(MAKE) -j2 install browser
	$(MAKE) test-duckdb test-spark

test-duckdb: install browser
	$(BIN)/pytest -n 2 --dist load

# The end-to-end pytests on Spark (a local session): the same hand-made landing folders
# must give the same CSV bytes as on DuckDB (both equal tests/expected/). Two workers:
# the two landings build at once (tests/conftest.py). The JVM compiles with its quick
# tier only and collects with one thread: each query here is tiny and the two builds
# share two cores, so its optimising compiler's work never paid off (the two builds: 136
# and 142 s instead of 166 and 171). A run on real data keeps the JVM's defaults.
test-spark: install-spark
	JAVA_TOOL_OPTIONS="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" WA_ENGINE=spark \
	  $(BIN)/pytest -n 2 --dist load tests/test_reports_end_to_end.py tests/test_per_message_pricing_end_to_end.py tests/test_spark_engine.py

# Not part of `make test`: generates ~1M + 3.1M messages and prints wall time and peak RSS.
bench: install
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# sqlfluff compiles the models through dbt, which attaches the warehouse file (created
# empty when there is none yet; the models lint clean whether they are built or not).
lint: install
	$(BIN)/ruff check orchestration scripts tests
	$(BIN)/ruff format --check orchestration scripts tests
	mkdir -p $(dir $(WA_WAREHOUSE))
	$(BIN)/sqlfluff lint models tests/dbt

# The Dagster instance beside the warehouse (or $DAGSTER_HOME), where `wa-reports run`
# records its runs too: the runner names and prepares its folder.
dev: install
	DAGSTER_HOME="$$($(BIN)/python -c 'from orchestration.runner import prepare_dagster_home; from orchestration.settings import Settings; print(prepare_dagster_home(Settings.from_env()))')" \
	  $(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

clean:
	rm -rf data target logs .pytest_cache
