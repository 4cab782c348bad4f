# The two commands of the README: `make demo` (the main job) and `make test`.
# Both create the virtualenv .venv on first use: torch==2.13.0 first (the CPU wheel;
# an unpinned torch would pull several GB of CUDA packages), then mirlearn with its dev extras.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DATA   ?= ../shared/data
DEMO   ?= runs/demo

.PHONY: install test demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

demo: $(STAMP)
	$(VENV)/bin/mirlearn extract $(DATA)/gtzan-mini-dev --out $(DEMO)/features --jobs 2
	$(VENV)/bin/mirlearn show $(DATA)/gtzan-mini-dev/blues/blues.00000.flac --feature cqt --duration 10 --out $(DEMO)/blues-cqt.png
	$(PY) -c "import pandas as pd; t = pd.read_parquet('$(DEMO)/features/summaries.parquet'); print(t.shape[0], 'tracks x', t.shape[1] - 1, 'summary features'); print(t.iloc[:5, :6].to_string())"

bench: $(STAMP)
	$(PY) bench/features.py --data $(DATA)/gtzan-mini-dev

clean:
	rm -rf $(VENV) runs build *.egg-info
