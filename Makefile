# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# Every pip call takes the constraints file: unpinned, pip would pull a multi-GB CUDA torch.
PIP    := $(BIN)/python -m pip install --quiet -c constraints.txt

.PHONY: setup run test test-setup clean-index

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) torch==2.13.0+cpu
	$(PIP) -e .
	touch $@

run: setup
	$(BIN)/bot ingest
	$(BIN)/bot serve

test-setup: $(VENV)/.installed-test

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) -e '.[test]'
	touch $@

# pytest's exit 5 means no test ran: that is a failure, said plainly.
test: test-setup
	@$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

clean-index:
	rm -rf .data
