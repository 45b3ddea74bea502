# The MINE book: two commands on a fresh machine.
#
#   make book   build the HTML book into _build/html (profile: $MINE_PROFILE, default standard)
#   make test   ruff, unit tests, nbmake over the notebooks (smoke), smoke build, HTML checks
#   make lab    JupyterLab on book/, with this environment as the kernel "mine-book"
#   make clean  remove _build/ and .smoke/;  make distclean  also remove .venv/
#
# Each creates .venv/ on first use with `python3 -m venv` and installs this package
# with the [book], [test] or [lab] extras, under constraints.txt (the exact CPU torch);
# a stamp file skips the install until pyproject.toml or constraints.txt changes.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV := .venv
VBIN := $(CURDIR)/$(VENV)/bin
# The package asks for a torch range (pyproject.toml); the book's environment takes the
# exact CPU build pinned in constraints.txt, passed to every pip install here.
CONSTRAINTS := constraints.txt
PIP_INSTALL := $(VBIN)/python -m pip install -c $(CONSTRAINTS)
VENV_INPUTS := pyproject.toml $(CONSTRAINTS)
# Tools and notebook kernels run from the venv.
RUN := env PATH="$(VBIN):$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)"

MINE_PROFILE ?= standard
# `make book` executes the chapters BOOK_JOBS at a time, BOOK_THREADS torch threads each
# (tools/execute_book.py), then renders: on two cores two one-thread chapters beat one
# two-thread chapter. BOOK_JOBS=1 BOOK_THREADS=2 runs them one at a time.
BOOK_JOBS ?= 2
BOOK_THREADS ?= 1
JB_FLAGS ?= -W --keep-going
# nbmake: per-cell timeout in seconds (the smoke budget is 60 s a notebook).
NBMAKE_TIMEOUT ?= 300
# Unit-test paths for step 1 of `make test`.
TESTS ?= tests

# `make book`: the standard profile builds into _build/html (with its jupyter-cache in
# _build/.jupyter_cache); any other profile into _build/<profile>/ with its own cache,
# because jupyter-cache keys on the notebook text, not on the profile.
ifeq ($(MINE_PROFILE),standard)
BOOK_OUT := $(CURDIR)
BOOK_RESULTS := $(CURDIR)/_build/results
else
BOOK_OUT := $(CURDIR)/_build/$(MINE_PROFILE)
BOOK_RESULTS := $(CURDIR)/_build/$(MINE_PROFILE)/results
endif
BOOK_HTML := $(BOOK_OUT)/_build/html

# `make test`: the executed copy of the book lives in .smoke/ (nbmake skips every
# notebook with a folder named `_build` in its path, so it cannot live under _build/);
# its HTML and results go to _build/smoke/.
SMOKE := $(CURDIR)/_build/smoke
SMOKE_SRC := $(CURDIR)/.smoke
SMOKE_HTML := $(SMOKE)/_build/html

.PHONY: help book test lab clean distclean venv

help:
	@echo "make book   build the HTML book into _build/html (MINE_PROFILE=$(MINE_PROFILE))"
	@echo "make test   ruff check, unit tests, nbmake (smoke), smoke build into _build/smoke, HTML checks"
	@echo "make lab    JupyterLab on book/ with the kernel 'mine-book' (MINE_PROFILE=$(MINE_PROFILE)),"
	@echo "            headless on $(LAB_IP):$(LAB_PORT) (set LAB_IP, LAB_PORT, LAB_BROWSER=yes, LAB_ARGS)"
	@echo "            check it end to end: .venv/bin/python tools/lab_check.py (starts a server"
	@echo "            and headless Chromium; not part of make test)"
	@echo "make clean  remove _build/ and .smoke/;  make distclean  also remove .venv/"

# ---------------------------------------------------------------- virtual environment
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# [test] includes [book]: a fresh [test] install also satisfies `make book`.
$(VENV)/.stamp-book: $(VENV_INPUTS) | $(VENV)/bin/python
	@if [ -f $(VENV)/.stamp-test ] && [ $(VENV)/.stamp-test -nt pyproject.toml ] \
	    && [ $(VENV)/.stamp-test -nt $(CONSTRAINTS) ]; then \
	  echo "venv: [test] extras already installed (they include [book])"; \
	else \
	  echo "+ $(PIP_INSTALL) -e '.[book]'"; \
	  $(PIP_INSTALL) -e '.[book]'; \
	fi
	touch $@

$(VENV)/.stamp-test: $(VENV_INPUTS) | $(VENV)/bin/python
	$(PIP_INSTALL) -e '.[test]'
	touch $@

$(VENV)/.stamp-lab: $(VENV_INPUTS) | $(VENV)/bin/python
	$(PIP_INSTALL) -e '.[lab]'
	touch $@

venv: $(VENV)/.stamp-test

# ---------------------------------------------------------------- the book
book: $(VENV)/.stamp-book
	@[[ "$(MINE_PROFILE)" =~ ^[A-Za-z0-9_-]+$$ ]] || { echo "bad MINE_PROFILE='$(MINE_PROFILE)'" >&2; exit 2; }
	@echo "== executing the chapters, $(BOOK_JOBS) at a time with $(BOOK_THREADS) torch thread(s) each, into the build's jupyter-cache"
	@$(RUN) MINE_PROFILE="$(MINE_PROFILE)" MINE_RESULTS_DIR="$${MINE_RESULTS_DIR:-$(BOOK_RESULTS)}" \
	  python tools/execute_book.py --cache "$(BOOK_OUT)/_build/.jupyter_cache" \
	    --jobs $(BOOK_JOBS) --threads $(BOOK_THREADS) || \
	  echo "== a chapter failed to execute: the build below runs it again and reports the error"
	@echo "== jupyter-book build, MINE_PROFILE=$(MINE_PROFILE), into $(BOOK_HTML)"
	@echo "+ jupyter-book build . $(JB_FLAGS) --path-output $(BOOK_OUT)"
	@$(RUN) MINE_PROFILE="$(MINE_PROFILE)" MINE_RESULTS_DIR="$${MINE_RESULTS_DIR:-$(BOOK_RESULTS)}" \
	  jupyter-book build . $(JB_FLAGS) --path-output "$(BOOK_OUT)" || { \
	  rm -rf "$(BOOK_OUT)/_build/.doctrees"; \
	  echo "== book build FAILED; the Sphinx environment was reset so the next run reports every warning again (executed notebooks stay cached)" >&2; \
	  exit 1; }
	@echo "== book ($(MINE_PROFILE) profile): $(BOOK_HTML)/index.html"

# ---------------------------------------------------------------- the tests
# 0. ruff check (the rules in pyproject.toml; book/ excluded); 1. unit tests; 2. nbmake
# over every notebook (smoke) on a copy of the book, which keeps the outputs;
# 3. jupyter-book build of that copy, execution off, -W; 4. HTML checks (offline math,
# pages for the toc).
test: $(VENV)/.stamp-test
	@echo "== [0/4] lint: ruff check ."
	$(RUN) ruff check .
	@echo "== [1/4] unit tests: pytest $(TESTS)"
	$(RUN) python -m pytest $(TESTS)
	@echo "== [2/4] nbmake, MINE_PROFILE=smoke, on a copy of the book in $(SMOKE_SRC)"
	rm -rf "$(SMOKE)" "$(SMOKE_SRC)"
	$(RUN) python tools/smoke_tree.py "$(SMOKE_SRC)"
	@cd "$(SMOKE_SRC)"; \
	mapfile -t nbs < <(find book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort); \
	if [ $${#nbs[@]} -eq 0 ]; then \
	  echo "no notebooks in book/ yet: nbmake skipped"; \
	else \
	  echo "notebooks: $${nbs[*]}"; \
	  $(RUN) MINE_PROFILE=smoke MINE_RESULTS_DIR="$(SMOKE)/results" \
	    python -m pytest -p no:cacheprovider --rootdir "$(SMOKE_SRC)" -c /dev/null \
	      --nbmake --nbmake-timeout=$(NBMAKE_TIMEOUT) --overwrite --durations=0 -ra "$${nbs[@]}"; \
	fi
	@echo "== [3/4] jupyter-book build of the executed copy (smoke), into $(SMOKE_HTML)"
	$(RUN) MINE_PROFILE=smoke MINE_RESULTS_DIR="$(SMOKE)/results" \
	  jupyter-book build "$(SMOKE_SRC)" $(JB_FLAGS) --path-output "$(SMOKE)"
	@echo "== [4/4] HTML checks on $(SMOKE_HTML)"
	$(RUN) python tools/check_html.py "$(SMOKE_HTML)" --toc "$(SMOKE_SRC)/_toc.yml"

# ---------------------------------------------------------------- rerunning in Jupyter
# JupyterLab from the same .venv, opened on book/. The chapters' kernel ("python3") is then
# this venv's Python; the venv is also registered as the kernel "mine-book" (in the user's
# Jupyter folder), for opening a chapter from another Jupyter or an editor. A chapter's kernel starts in book/, reads
# MINE_PROFILE and writes its JSON where `make book` would for that profile.
#
# Headless by default (--no-browser: it prints the URL with its token; LAB_BROWSER=yes opens
# one), on $(LAB_IP):$(LAB_PORT); as root (a container) it adds --allow-root, without which
# Jupyter refuses to start. LAB_ARGS passes anything else to `jupyter lab`. tools/lab_check.py starts it the same way
# and checks it end to end (a chapter's cells on the kernel, a browser screenshot).
KERNEL := mine-book
LAB_PORT ?= 8888
LAB_IP ?= 127.0.0.1
LAB_ARGS ?=
LAB_BROWSER ?= no
LAB_UID = $(shell id -u)
LAB_FLAGS = $(if $(filter yes,$(LAB_BROWSER)),,--no-browser) --ip="$(LAB_IP)" --port="$(LAB_PORT)" $(if $(filter 0,$(LAB_UID)),--allow-root) $(LAB_ARGS)

lab: $(VENV)/.stamp-lab
	@[[ "$(MINE_PROFILE)" =~ ^[A-Za-z0-9_-]+$$ ]] || { echo "bad MINE_PROFILE='$(MINE_PROFILE)'" >&2; exit 2; }
	@[[ "$(LAB_PORT)" =~ ^[0-9]+$$ ]] || { echo "bad LAB_PORT='$(LAB_PORT)'" >&2; exit 2; }
	$(RUN) python -m ipykernel install --user --name $(KERNEL) --display-name "Python (mine-book)"
	$(RUN) MINE_PROFILE="$(MINE_PROFILE)" MINE_RESULTS_DIR="$${MINE_RESULTS_DIR:-$(BOOK_RESULTS)}" \
	  jupyter lab --notebook-dir "$(CURDIR)/book" $(strip $(LAB_FLAGS))

# ---------------------------------------------------------------- cleaning
clean:
	rm -rf _build .smoke

distclean: clean
	rm -rf $(VENV) *.egg-info
