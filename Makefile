# Two front doors: `make train` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
# The CPU build of PyTorch: an unpinned `torch` pulls several GB of CUDA packages.
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install train test test-quick lint clean-venv

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@# Xvfb and xdotool drive the real OpenCV window in the camera test; installed when we can.
	@if ! command -v Xvfb >/dev/null || ! command -v xdotool >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing xvfb and xdotool (apt-get)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb xdotool) >/dev/null \
	      || echo "note: could not install xvfb/xdotool; the camera window test will not run"; \
	  else echo "note: install xvfb and xdotool to run the camera window test"; fi; fi
	@# Chromium: the browser test of `mnist-cnn serve` drives it with Playwright (no browser download).
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium (apt-get)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	      || echo "note: could not install chromium; the browser test of the web page will not run"; \
	  else echo "note: install chromium to run the browser test of the web page"; fi; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[all,dev]"
	touch $(STAMP)

# The main job: train the default recipe with PyTorch. ARGS passes more options,
# e.g. make train ARGS="--framework keras --recipe kids"
train: $(STAMP)
	$(BIN)/mnist-cnn train --framework torch $(ARGS)

# The whole test suite (pytest). ARGS passes pytest options, e.g. make test ARGS="-k metrics"
test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

# The architecture contracts ([tool.importlinter] in pyproject.toml) and ruff.
lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .

# The quick tier: no training, no MNIST (markers come from the fixtures, tests/conftest.py).
test-quick: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not mnist" $(ARGS)

clean-venv:
	rm -rf $(VENV)
