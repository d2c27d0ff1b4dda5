# The front door of the course repository. `make help` lists the targets.
# Every target builds the virtual environment .venv from requirements.txt on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-requirements

GRADE_OPTIONS := $(if $(FORCE),--force) $(if $(WORKERS),--workers $(WORKERS)) $(if $(TIME_LIMIT),--time-limit $(TIME_LIMIT)) \
	$(if $(filter off,$(SANDBOX)),--no-sandbox)

.DEFAULT_GOAL := help
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help demo grade sandbox bench test test-fast check release demo-submissions dataset venv clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

demo: $(INSTALLED)  ## grade the demo submissions in demo/submitted/; print the scores
	$(BIN)/python -m penguin_course demo $(GRADE_OPTIONS)

grade: $(INSTALLED)  ## grade every student in submitted/ (FORCE=1 grades unchanged work again; SANDBOX=off: no isolation)
	$(BIN)/python -m penguin_course grade $(GRADE_OPTIONS)

sandbox: $(INSTALLED)  ## install bubblewrap, the sandbox make grade runs student code in (apt; sudo unless root)
	@command -v bwrap >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq bubblewrap; }
	$(BIN)/python -m penguin_course sandbox

bench: $(INSTALLED)  ## measure grading speed: overhead, parallel speed-up, where the time goes (COPIES=4)
	$(BIN)/python -m penguin_course.bench $(if $(COPIES),--copies $(COPIES))

test: $(INSTALLED)  ## run every course test (the slow ones run notebooks and nbgrader: minutes)
	$(BIN)/python -m pytest -n 2

test-fast: $(INSTALLED)  ## run the fast course tests only (seconds)
	$(BIN)/python -m pytest -m "not slow"

check: $(INSTALLED)  ## check that this machine is set up for the workshop
	$(BIN)/python -m penguin_course check

release: $(INSTALLED)  ## regenerate release/ from source/ after changing an exercise
	$(BIN)/python -m penguin_course release

demo-submissions: $(INSTALLED)  ## rebuild demo/submitted/ from release/ and source/
	$(BIN)/python -m penguin_course demo-submissions

dataset: $(INSTALLED)  ## rebuild source/.../penguins.csv from the palmerpenguins package
	$(BIN)/python -m penguin_course dataset

venv: $(INSTALLED)  ## create .venv with the pinned packages

$(INSTALLED): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed, $(PYTHON) is " + sys.version.split()[0] + ": run make PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

clean:  ## remove what grading generates (gradebook, autograded/, feedback/, the CSVs); keeps .venv
	rm -rf gradebook.db autograded feedback grades.csv grades-by-test.csv report.html
