# genre — build, test and demo entry points. `make test` is what CI runs.
SWIFT        ?= swift
APT_PACKAGES := pkg-config libsndfile1-dev libfftw3-dev libsoxr-dev zlib1g-dev libavformat-dev libavcodec-dev \
                libavutil-dev libtag1-dev ffmpeg openmpi-bin libopenmpi-dev
PKG_MODULES  := sndfile fftw3f soxr zlib libavformat libavcodec libavutil taglib ompi
# Programs the tests run: FFmpeg's own decoder and tag reader as references, Open MPI's launcher.
COMMANDS     := ffmpeg ffprobe mpirun
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN          := .build/release/genre

.PHONY: all deps build release test demo clean

all: build

# Installs the system packages when pkg-config cannot find a library or a command is missing.
deps:
	@if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists $(PKG_MODULES) \
		&& (for c in $(COMMANDS); do command -v $$c >/dev/null 2>&1 || exit 1; done); then \
		echo "deps: $(PKG_MODULES) $(COMMANDS) found"; \
	else \
		echo "deps: installing $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	fi

build: deps
	$(SWIFT) build -c release

release: build

# Numeric code is ~50x slower in debug builds, so the tests run optimised.
# The tests are XCTest; Swift Testing is off so the run closes on XCTest's summary.
test: deps
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build --disable-swift-testing

# The main job on the built-in example: render the demo data set (first time only), train
# MobileNetV2 on it (configs/v2.json, starting over), then classify one of its songs.
demo: build
	$(BIN) train configs/v2.json --force
	$(BIN) predict --checkpoint runs/v2/best.safetensors data/demo/jazz/jazz.00003.wav

# Regenerates Tests/Fixtures with PyTorch and librosa (scripts/fixtures) in a venv of its own;
# `make test` only reads the committed files and never needs Python.
PYTHON         ?= python3
FIXTURES_VENV  := .venv-fixtures
.PHONY: fixtures
fixtures:
	@test -x $(FIXTURES_VENV)/bin/python || $(PYTHON) -m venv $(FIXTURES_VENV)
	$(FIXTURES_VENV)/bin/pip install -q -r scripts/fixtures/requirements.txt
	PYTHONDONTWRITEBYTECODE=1 $(FIXTURES_VENV)/bin/python scripts/fixtures/generate.py

clean:
	rm -rf .build demo-out
