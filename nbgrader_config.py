"""nbgrader configuration for the course (read by every nbgrader command run from this folder,
and by formgrader when Jupyter is started here)."""

import os
import sys

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

# The course's tooling (penguin_course/) beside this file: the settings below use it.
sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from penguin_course.outputs import feedback, safe_html  # noqa: E402

c.CourseDirectory.course_id = "intro-deep-learning"
# The gradebook: gradebook.db here, or a database server that several graders share, e.g.
# NBGRADER_DB_URL=postgresql+psycopg://grader@db.example.org/intro_dl (see the README).
c.CourseDirectory.db_url = os.environ.get("NBGRADER_DB_URL", "sqlite:///gradebook.db")

# nbgrader's exchange, through which students fetch and submit in the Assignment List (Nbgrader menu):
# `make exchange` creates it and writes the students' side of this setting.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")

# Notebooks downloaded from a learning platform (`make zip-collect`), one file per student and
# notebook named <student id>_<notebook>.ipynb: see penguin_course/exchanging/collect.py.
c.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[^/_]+)_(?P<file_id>[^/_]+\.ipynb)$"

# Models that notebook 3 saves when an instructor runs it in source/ must never reach the
# release, nor overwrite the model a student's own notebook saves while it is graded.
# grading.json is the grader's record of a run, kept-answers.zip what the judge received
# in it (to judge changed tests again), fingerprints.json the similarity report's digest of the
# answers: not something to copy into feedback/.
# hidden_* files are the hidden tests' own (the reference answers): never released, and only
# the tests' judge has them while grading. wrong_answers.py and sound_answers.py prove an
# assignment's tests (known wrong answers, sound ones): the instructor's alone.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.keras", "grading.json",
                            "kept-answers.zip", "fingerprints.json", "hidden_*", "wrong_answers.py",
                            "sound_answers.py"]

# Time per cell while grading: the longest cell trains a model in ~10 s on 2 cores.
c.Execute.timeout = 300

# Put back test cells that a student deleted: deleting a failing test never earns its points.
c.OverwriteCells.add_missing_cells = True

# Late work (the README's "Deadlines and extensions"). An assignment's due date is set in formgrader
# (Manage Assignments), in NbGraderAPI.timezone's time; extensions.csv gives a student more time.
# A notebook submitted past the student's deadline and the grace period loses percent_per_day % of
# its score for each day, or part of one, it was late. For nbgrader's own policies instead:
# c.AssignLatePenalties.plugin_class = "nbgrader.plugins.LateSubmissionPlugin" and
# c.LateSubmissionPlugin.penalty_method = "zero" (late work scores 0) or "none" (nothing is taken off).
c.AssignLatePenalties.plugin_class = "penguin_course.outputs.deadlines.LatePolicy"
c.LatePolicy.grace_minutes = 0
c.LatePolicy.percent_per_day = 10
c.NbGraderAPI.timezone = "UTC"

# Every route to feedback (make feedback, `nbgrader generate_feedback`, formgrader's
# Generate Feedback button) writes the course's pages: no hidden test, hand grades and
# comments from the gradebook, what still waits to be graded by hand, maths offline.
c.GenerateFeedback.preprocessors = feedback.PREPROCESSORS
c.HTMLExporter.extra_template_basedirs = feedback.template_dirs()

# A student's notebook is untrusted on every page nbgrader makes of it: formgrader's submission
# view and the feedback pages (README, "Grading safely: students' HTML"). nbconvert's sanitizing,
# with the course's allowlist: no script, event handler, iframe, form or javascript: link in the
# markdown or the outputs; images, tables and maths (as MathML: no MathJax from a CDN) kept. The
# pages' Content-Security-Policy comes from the course's templates (feedback.template_dirs).
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = safe_html.FILTERS
c.HTMLExporter.preprocessors = [safe_html.ContentSecurityPolicy, feedback.MathToMathML]

# Grades for learning platforms (`make export`): a file for each platform the course uses; keep
# only those. A platform here that cannot identify a student (Moodle by e-mail address, before
# `make roster`) makes the export fail, naming the student; the others' files are written.
c.CourseExports.platforms = ["canvas", "moodle", "brightspace", "blackboard"]

# nbgrader's own autograde (formgrader's Autograde button, `nbgrader autograde`) would run
# student code outside the sandbox: it refuses and points to `make grade`.
c.Autograde.exporter_class = "penguin_course.isolation.nbgrader_guard.RefuseAutograde"
