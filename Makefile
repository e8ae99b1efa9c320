# pix-livret: two commands on a fresh machine — `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# WeasyPrint's native libraries and the font the attestations embed
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# For the tests only: docker-compose validates deploy/compose.yaml (its client alone; no engine runs here);
# chromium opens the bilan's HTML page from disk (tests/test_report.py)
TEST_DEB_PACKAGES := docker-compose chromium
DEMO_DIR ?= var/demo
# Extras installed with the project: the tests' here; deploy/Dockerfile runs `make install EXTRAS=`,
# so the image is installed by this very recipe (the one CI runs), without the test tools.
EXTRAS ?= test

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: demo test install system-deps venv-deps test-deps bench bench-academie ui-screenshot clean

demo: install
	$(BIN)/pix-livret demo --dir $(DEMO_DIR)

# one pytest worker per core; a test file's tests stay together, so that a server it starts once serves them all
test: install test-deps
	$(BIN)/python -m pytest -q -n auto --dist loadfile

install: system-deps venv-deps $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".$(if $(EXTRAS),[$(EXTRAS)])"
	touch $@

# Debian packages $(1) installed when missing and running as root; otherwise the exact command, and a failure
define debian_packages
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages. Run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

system-deps:
	$(call debian_packages,$(DEB_PACKAGES))

# Debian's python3 makes no virtual environment without python3-venv (ensurepip); another Python (pyenv, a
# docker image's) has it already
venv-deps:
	@if [ ! -x $(BIN)/python ] && ! $(PYTHON) -c "import ensurepip, venv" 2>/dev/null; then \
	  $(MAKE) --no-print-directory system-deps DEB_PACKAGES=python3-venv; \
	fi

test-deps:
	$(call debian_packages,$(TEST_DEB_PACKAGES))

bench: install
	$(BIN)/python bench/bench_lsu_export.py
	$(BIN)/python bench/bench_attestations.py
	$(BIN)/python bench/bench_bilans.py

bench-academie: install
	$(BIN)/python bench/bench_academie.py

# A screenshot of a quarantined run in Prefect's UI (docs/ui-quarantined-run.png), in Debian's headless Chromium
ui-screenshot: install
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	  else echo "Missing Chromium. Run: sudo apt-get install -y chromium"; exit 1; fi; }
	$(BIN)/python deploy/screenshot_ui.py docs/ui-quarantined-run.png  # and docs/ui-quarantined-runs-list.png

clean:
	rm -rf $(VENV) var .pytest_cache
