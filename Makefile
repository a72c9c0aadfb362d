# Every target creates .venv and installs the project into it first, so a
# fresh clone needs nothing beyond python3 (>= 3.10) and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= ../shared/data

.PHONY: report test train evaluate bench figures notebooks clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## report: scan the bundled example pages and print the moderator's report
report: $(STAMP)
	$(BIN)/moderation scan examples/

## test: run the whole test suite (tests needing ../shared/data skip without it)
test: $(STAMP) browser
	$(BIN)/python -m pytest -q

# The HTML report is tested in a real headless Chromium (Debian's package).
# In CI (CI=true, root) it is installed when missing; elsewhere the browser
# tests skip with a reason unless /usr/bin/chromium is present.
.PHONY: browser
browser:
	@if [ ! -x /usr/bin/chromium ] && [ -n "$$CI" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian chromium for the HTML report tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

## train: rebuild the shipped model in models/ from $(DATA)
train: $(STAMP)
	$(BIN)/moderation train --data $(DATA) --output models/

## evaluate: measure the shipped model and write docs/evaluation.md
evaluate: $(STAMP)
	$(BIN)/moderation evaluate --data $(DATA) --output docs/evaluation.md

## bench: run every benchmark in benchmarks/ and print the figures
bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## notebooks: execute the notebooks in notebooks/ (as CI does), outputs stay stripped in git
notebooks: $(STAMP)
	$(BIN)/python -m pytest -q --nbmake notebooks/

## figures: regenerate the figures the README links to
figures: $(STAMP)
	$(BIN)/python -m moderation.figures --output docs/figures

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
