# genre — build, test and demo entry points. `make test` is what CI runs.
SWIFT        ?= swift
APT_PACKAGES := pkg-config libsndfile1-dev libfftw3-dev libsoxr-dev zlib1g-dev libavformat-dev libavcodec-dev \
                libavutil-dev libtag1-dev ffmpeg musepack-tools id3v2 openmpi-bin libopenmpi-dev
PKG_MODULES  := sndfile fftw3f soxr zlib libavformat libavcodec libavutil taglib ompi
# Programs the tests run: FFmpeg's own decoder and tag reader as references, the Musepack encoder
# (FFmpeg has none), id3lib's ID3 tagger and reader, Open MPI's launcher.
COMMANDS     := ffmpeg ffprobe mpcenc id3v2 mpirun
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN          := .build/release/genre

.PHONY: all deps build release install uninstall test demo clean fuzz-build fuzz fuzz-smoke sanitize sanitize-address sanitize-thread

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

# The executable and its TagLib plugin side by side in $(PREFIX)/lib/genre (genre looks for the
# plugin beside its own file), linked from $(PREFIX)/bin.
PREFIX ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/lib/genre $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) .build/release/libGenreTagLib.so $(DESTDIR)$(PREFIX)/lib/genre/
	ln -sfn ../lib/genre/genre $(DESTDIR)$(PREFIX)/bin/genre

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/genre
	rm -rf $(DESTDIR)$(PREFIX)/lib/genre

# Numeric code is ~50x slower in debug builds, so the tests run optimised.
# The tests are XCTest; Swift Testing is off so the run closes on XCTest's summary.
test: deps
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build --disable-swift-testing

# Coverage-guided fuzzing of the readers of untrusted files (Fuzz/, README "Reliability" → "Fuzzing"):
# libFuzzer with AddressSanitizer, each target for FUZZ_SECONDS; any crash, leak, hang or OOM fails.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?=
fuzz-build: deps
	$(SWIFT) build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address

fuzz: fuzz-build
	Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# What CI runs after `make test`: every target for 20 s.
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=20

# The test suite under AddressSanitizer and ThreadSanitizer (separate build folders, so the
# normal release build stays as it is); any report fails the run. Left out by default, as they
# take minutes each and several times that under a sanitizer: TagLib's rewrites (FormatTagging,
# SafeRewrite, TagCLI), the synthesiser's listening tests (DemoDataSet, GenreCharacter) and
# training end to end through the CLI (TrainCLI; the trainer itself runs in TrainerTests).
# ThreadSanitizer runs the tests that use threads: the engine's worker pool and kernels, the
# networks, batched and parallel prediction, the trainer and checkpoints. Its build links the
# Swift runtime shared (GENRE_SHARED_RUNTIME, see Package.swift).
SANITIZE_SKIP   ?= FormatTaggingTests|TagCLITests|SafeRewriteTests|TrainCLITests|DemoDataSetTests|GenreCharacterTests
TSAN_FILTER     ?= EngineTests|ModelsTests|PredictorTests|TrainerTests|CheckpointTests|DeterminismTests|PredictCLITests|FuzzRegressionTests
sanitize: sanitize-address sanitize-thread

sanitize-address: deps
	$(SWIFT) build -c release --build-tests --sanitize=address --scratch-path .build/asan
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan.supp:print_suppressions=0 ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 $(SWIFT) test -c release --skip-build --disable-swift-testing \
		--sanitize=address --scratch-path .build/asan $(if $(SANITIZE_SKIP),--skip '$(SANITIZE_SKIP)')

sanitize-thread: deps
	GENRE_SHARED_RUNTIME=1 $(SWIFT) build -c release --build-tests --sanitize=thread --scratch-path .build/tsan
	GENRE_SHARED_RUNTIME=1 TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test -c release --skip-build --disable-swift-testing \
		--sanitize=thread --scratch-path .build/tsan $(if $(TSAN_FILTER),--filter '$(TSAN_FILTER)')

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
	rm -rf .build Fuzz/.build demo-out
