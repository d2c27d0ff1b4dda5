# The front door of the course repository. `make help` lists the targets.
# Every target builds the virtual environment .venv from requirements.txt on first use.

# A supported Python (3.11 to 3.13) of this machine's: python3.11 first, then python3 if it is one
# of them, then python3.12, python3.13. Or say which: make PYTHON=/path/to/python3.12
ifndef PYTHON
SUPPORTED_PYTHON := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
PYTHON := $(firstword $(foreach python,python3.11 python3 python3.12 python3.13,\
	$(shell command -v $(python) >/dev/null 2>&1 && $(python) -c '$(SUPPORTED_PYTHON)' 2>/dev/null && command -v $(python))))
endif
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-requirements

# ASSIGNMENT=name: the assignment source/name/ only (default: every assignment of source/)
ASSIGNMENT_OPTION := $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)")
GRADE_OPTIONS := $(if $(FORCE),--force) $(if $(WORKERS),--workers $(WORKERS)) $(if $(TIME_LIMIT),--time-limit $(TIME_LIMIT)) \
	$(if $(filter off,$(SANDBOX)),--no-sandbox) $(ASSIGNMENT_OPTION)

.DEFAULT_GOAL := help

.PHONY: help demo grade merge feedback export roster validate due exchange release-assignment collect zip-collect release-feedback \
	sandbox browser postgres bench test test-fast check release new-assignment demo-submissions dataset venv clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

demo: $(INSTALLED)  ## grade the demo submissions in demo/submitted/; print the scores (ASSIGNMENT=name)
	$(BIN)/python -m penguin_course demo $(GRADE_OPTIONS)

grade: $(INSTALLED)  ## grade every student in submitted/, then write feedback, CSVs, report (ASSIGNMENT=name, FORCE=1, SUBMITTED=dir, SANDBOX=off, SHARD=i/N)
	$(BIN)/python -m penguin_course grade $(GRADE_OPTIONS) $(if $(SUBMITTED),--submitted "$(SUBMITTED)") \
		$(if $(SHARD),--shard "$(SHARD)")

merge: $(INSTALLED)  ## after make grade SHARD=i/N on several machines: the bundles (BUNDLES=dir, default shards/) into the gradebook
	$(BIN)/python -m penguin_course merge $(if $(BUNDLES),--bundles "$(BUNDLES)")

feedback: $(INSTALLED)  ## after grading by hand: feedback pages, grades.csv, grades-by-test.csv, report.html (seconds)
	$(BIN)/python -m penguin_course feedback

export: $(INSTALLED)  ## grades for learning platforms: exports/canvas.csv, moodle.csv, brightspace.csv, blackboard.csv
	$(BIN)/python -m penguin_course export

roster: $(INSTALLED)  ## add ROSTER=students.csv (id, first_name, last_name, email, lms_user_id) to the gradebook, for make export
	@test -n "$(ROSTER)" || { echo "usage: make roster ROSTER=path/to/students.csv" >&2; exit 2; }
	$(BIN)/python -m penguin_course roster "$(ROSTER)"

validate: $(INSTALLED)  ## students: run NOTEBOOK=path as the grader will; lists the checks that fail
	@test -n "$(NOTEBOOK)" || { echo "usage: make validate NOTEBOOK=path/to/notebook.ipynb" >&2; exit 2; }
	$(BIN)/python -m penguin_course validate "$(NOTEBOOK)"

due: $(INSTALLED)  ## set ASSIGNMENT=name's due date to DUE="2026-12-18 17:00" in due-dates.csv and the gradebook
	$(BIN)/python -m penguin_course due --assignment "$(ASSIGNMENT)" --due "$(DUE)"

exchange: $(INSTALLED)  ## create nbgrader's exchange (NBGRADER_EXCHANGE, default /srv/nbgrader/exchange) for the students' Assignment List
	$(BIN)/python -m penguin_course exchange

release-assignment: $(INSTALLED)  ## put release/ in the exchange: students fetch it in their Assignment List (ASSIGNMENT=name)
	$(BIN)/python -m penguin_course release-assignment $(if $(FORCE),--force) $(ASSIGNMENT_OPTION)

collect: $(INSTALLED)  ## bring the students' latest submissions from the exchange into submitted/ (ASSIGNMENT=name)
	$(BIN)/python -m penguin_course collect $(ASSIGNMENT_OPTION)

zip-collect: $(INSTALLED)  ## bring ARCHIVE=zip-or-folder of notebooks from a learning platform into submitted/ (ASSIGNMENT=name if several)
	@test -n "$(ARCHIVE)" || { echo "usage: make zip-collect ARCHIVE=path/to/submissions.zip" >&2; exit 2; }
	$(BIN)/python -m penguin_course zip-collect "$(ARCHIVE)" $(ASSIGNMENT_OPTION)

release-feedback: $(INSTALLED)  ## put the feedback pages in the exchange: students fetch them in their Assignment List (ASSIGNMENT=name; FORCE=1 while answers wait to be graded by hand)
	$(BIN)/python -m penguin_course release-feedback $(if $(FORCE),--force) $(ASSIGNMENT_OPTION)

sandbox: $(INSTALLED)  ## install bubblewrap and Graphviz (apt; sudo unless root) and check that grading can sandbox here
	$(BIN)/python -m penguin_course sandbox

browser: $(INSTALLED)  ## install Chromium for the browser tests (apt; sudo unless root)
	$(BIN)/python -m penguin_course browser

postgres: $(INSTALLED)  ## install PostgreSQL's server, for a gradebook graders share, and its tests (apt; sudo unless root)
	$(BIN)/python -m penguin_course postgres

bench: $(INSTALLED)  ## measure grading speed: overhead, parallel speed-up, where the time goes (COPIES=4)
	$(BIN)/python -m penguin_course bench $(if $(COPIES),--copies $(COPIES))

test: sandbox browser postgres  ## run every course test (the slow ones run notebooks, nbgrader and a browser: minutes)
	$(BIN)/python -m pytest -n 2 --dist loadscope --durations=40

test-fast: $(INSTALLED)  ## run the fast course tests only (a few minutes)
	$(BIN)/python -m pytest -n 2 --dist loadscope -m "not slow"

check: $(INSTALLED)  ## check that this machine is set up for the workshop
	$(BIN)/python -m penguin_course check

release: $(INSTALLED)  ## regenerate release/ from source/ after changing an exercise (ASSIGNMENT=name)
	$(BIN)/python -m penguin_course release $(ASSIGNMENT_OPTION)

new-assignment: $(INSTALLED)  ## write source/NAME/ (a notebook skeleton, links to the course's data and helpers, its wrong and sound answers), release it, add its demo students
	$(BIN)/python -m penguin_course new-assignment --name "$(NAME)"

demo-submissions: $(INSTALLED)  ## rebuild demo/submitted/ from release/ and source/
	$(BIN)/python -m penguin_course demo-submissions

dataset: $(INSTALLED)  ## rebuild source/.../penguins.csv from the palmerpenguins package
	$(BIN)/python -m penguin_course dataset

venv: $(INSTALLED)  ## create .venv with the pinned packages

$(INSTALLED): requirements.txt penguin_course/setup/instructor_jupyter.py
	@test -n "$(PYTHON)" || { echo "no Python 3.11, 3.12 or 3.13 found on PATH: install one and run make again, or name it with make PYTHON=/path/to/python3.12; with Python 3.10 or older, use conda: conda env create -f environment.yml, then pip install -r requirements.txt in it" >&2; exit 1; }
	$(PYTHON) -m penguin_course.setup.bootstrap $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m penguin_course.setup.instructor_jupyter
	touch $@

clean: $(INSTALLED)  ## remove what grading generates (gradebook, autograded/, feedback/, CSVs); refuses to lose hand grades unless FORCE=1
	$(BIN)/python -m penguin_course clean $(if $(FORCE),--force)
