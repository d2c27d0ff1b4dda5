"""Formgrader with the course's totals: every score it shows is after the late penalty.

nbgrader's formgrader shows each submission's score as the sum of its grades, before the late
penalty that nbgrader itself keeps in the gradebook (``SubmittedNotebook.late_submission_penalty``,
set by the course's ``deadlines.settle``): a late student reads 7/56 in formgrader and 6.3 in
grades.csv, the feedback page and the exports. Neither its API nor its pages can be configured,
so this Jupyter server extension is formgrader, nbgrader's own, with its data handlers answering
from ``LatePenaltyAPI``: the same lists and pages, every total (a student's, a submission's, a
notebook's, and the averages) less the penalty, as grades.csv has it. The grades of single cells
are left as they are: the penalty is a share of a notebook's score, not of a cell's.

The instructors' environment (.venv) enables this extension in place of nbgrader's formgrader
(``penguin_course.setup.instructor_jupyter``, run when make builds .venv).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from jupyter_server.utils import url_path_join
from nbgrader import api
from nbgrader.apps.api import NbGraderAPI
from nbgrader.server_extensions.formgrader import apihandlers, handlers
from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension

NBGRADER_FORMGRADER = "nbgrader.server_extensions.formgrader"
PAGES = Path(__file__).parent / "templates" / "formgrader_pages"  # its base.tpl says which scores the pages show


@dataclass
class Penalties:
    """The gradebook's late penalties, summed as formgrader's totals need them."""
    notebooks: dict[str, float] = field(default_factory=dict)  # by SubmittedNotebook.id
    submissions: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # by its id
    students: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    # by assignment, and by (assignment, notebook): the penalties of its submissions, each one's sum
    of_assignment: defaultdict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    of_notebook: defaultdict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))

    def assignment_average(self, assignment: str) -> float:
        """The average penalty of the assignment's submissions (formgrader's averages are over them)."""
        penalties = self.of_assignment.get(assignment, {}).values()
        return sum(penalties) / len(penalties) if penalties else 0.0

    def notebook_average(self, assignment: str, notebook: str) -> float:
        penalties = self.of_notebook.get((assignment, notebook), [])
        return sum(penalties) / len(penalties) if penalties else 0.0


def read_penalties(gradebook: api.Gradebook) -> Penalties:
    penalties = Penalties()
    rows = (gradebook.db.query(api.SubmittedNotebook.id, api.SubmittedNotebook.late_submission_penalty,
                               api.SubmittedAssignment.id, api.SubmittedAssignment.student_id,
                               api.Assignment.name, api.Notebook.name)
            .join(api.SubmittedAssignment, api.SubmittedNotebook.assignment_id == api.SubmittedAssignment.id)
            .join(api.Assignment, api.SubmittedAssignment.assignment_id == api.Assignment.id)
            .join(api.Notebook, api.SubmittedNotebook.notebook_id == api.Notebook.id))
    for notebook_id, penalty, submission_id, student, assignment, notebook in rows:
        penalty = float(penalty or 0.0)
        penalties.notebooks[notebook_id] = penalty
        penalties.submissions[submission_id] += penalty
        penalties.students[student] += penalty
        submissions = penalties.of_assignment[assignment]
        submissions[submission_id] = submissions.get(submission_id, 0.0) + penalty
        penalties.of_notebook[(assignment, notebook)].append(penalty)
    return penalties


def less(score: float | None, penalty: float) -> float | None:
    """A score less its penalty, as grades.csv computes it (never below 0), without float noise."""
    if score is None or not penalty:
        return score
    return round(max(0.0, float(score) - penalty), 6)


class LatePenaltyAPI(NbGraderAPI):
    """nbgrader's API as formgrader calls it, every total score (and average) after the late penalty."""

    def penalties(self) -> Penalties:
        with self.gradebook as gradebook:
            return read_penalties(gradebook)

    def get_assignment(self, assignment_id, released=None):
        assignment = super().get_assignment(assignment_id, released=released)
        if assignment is not None and assignment.get("id") is not None:
            assignment["average_score"] = less(assignment["average_score"],
                                               self.penalties().assignment_average(assignment_id))  # one query
        return assignment

    def get_notebooks(self, assignment_id):
        notebooks = super().get_notebooks(assignment_id)
        penalties = self.penalties()
        for notebook in notebooks:
            notebook["average_score"] = less(notebook["average_score"],
                                             penalties.notebook_average(assignment_id, notebook["name"]))
        return notebooks

    def get_submission(self, assignment_id, student_id, ungraded=None, students=None):
        submission = super().get_submission(assignment_id, student_id, ungraded=ungraded, students=students)
        if submission is not None and submission.get("id") is not None:
            submission["score"] = less(submission["score"], self.penalties().submissions[submission["id"]])
        return submission

    def get_submissions(self, assignment_id):
        # nbgrader's reads the graded ones from the gradebook (not through get_submission, which
        # gives the others, with no id and nothing to take off)
        submissions = super().get_submissions(assignment_id)
        penalties = self.penalties()
        for submission in submissions:
            if submission.get("id") is not None:
                submission["score"] = less(submission["score"], penalties.submissions[submission["id"]])
        return submissions

    def _less_notebook_penalties(self, notebooks: list[dict]) -> list[dict]:
        penalties = self.penalties()
        for notebook in notebooks:
            notebook["score"] = less(notebook["score"], penalties.notebooks.get(notebook.get("id"), 0.0))
        return notebooks

    def get_notebook_submissions(self, assignment_id, notebook_id):
        return self._less_notebook_penalties(super().get_notebook_submissions(assignment_id, notebook_id))

    def get_student_notebook_submissions(self, student_id, assignment_id):
        return self._less_notebook_penalties(super().get_student_notebook_submissions(student_id, assignment_id))

    def get_student(self, student_id, submitted=None):
        student = super().get_student(student_id, submitted=submitted)
        if student is not None:
            student["score"] = less(student["score"], self.penalties().students[student_id])
        return student

    def get_students(self):
        students = super().get_students()
        penalties = self.penalties()
        for student in students:
            student["score"] = less(student["score"], penalties.students[student["id"]])
        return students


def page_templates() -> Environment:
    """formgrader's page templates: the course's first, then nbgrader's (also as "nbgrader/<name>")."""
    nbgrader_pages = FileSystemLoader([handlers.template_path])
    return Environment(loader=ChoiceLoader([FileSystemLoader([str(PAGES)]), nbgrader_pages,
                                            PrefixLoader({"nbgrader": nbgrader_pages})]))


def with_late_penalties(handler: type) -> type:
    """``handler`` (one of formgrader's API handlers) answering from ``LatePenaltyAPI``."""

    class Handler(handler):
        @property
        def api(self):  # as nbgrader's BaseHandler.api, with the course's API class
            level = self.log.level
            self.coursedir.parent.load_config_file()
            late_penalty_api = LatePenaltyAPI(self.coursedir, self.authenticator, parent=self.coursedir.parent)
            late_penalty_api.log_level = level
            return late_penalty_api

    Handler.__name__ = Handler.__qualname__ = handler.__name__
    return Handler


class CourseFormgrader(FormgradeExtension):
    """nbgrader's formgrader, whose data handlers come first (tornado takes the first pattern that
    matches) and answer from ``LatePenaltyAPI``, and whose list pages say so (the course's
    base.tpl, which extends nbgrader's as "nbgrader/base.tpl"); the rest is nbgrader's."""

    def init_tornado_settings(self, webapp):
        super().init_tornado_settings(webapp)
        webapp.settings["nbgrader_jinja2_env"] = page_templates()

    def init_handlers(self, webapp):
        ours = [(url_path_join(webapp.settings["base_url"], pattern.lstrip("/")), with_late_penalties(handler), *rest)
                for pattern, handler, *rest in apihandlers.default_handlers]
        webapp.add_handlers(".*$", ours)
        super().init_handlers(webapp)


def _jupyter_server_extension_points():
    return [{"module": "penguin_course.outputs.formgrader"}]


def _load_jupyter_server_extension(serverapp):
    """Load formgrader, as nbgrader's ``load_jupyter_server_extension`` does, with the course's totals."""
    webapp = serverapp.web_app
    if "nbgrader_formgrader" in webapp.settings:  # loaded first: its handlers would answer, not ours
        serverapp.log.error(
            f"{NBGRADER_FORMGRADER} is enabled as well as the course's formgrader: formgrader's totals will be "
            f"before the late penalty. Disable it: jupyter server extension disable --sys-prefix {NBGRADER_FORMGRADER}")
    serverapp.log.info("Loading formgrader with the course's totals (after the late penalty)")
    formgrader = CourseFormgrader(parent=serverapp)
    formgrader.root_dir = serverapp.root_dir
    formgrader.log = serverapp.log
    formgrader.initialize([])
    formgrader.init_tornado_settings(webapp)
    formgrader.init_handlers(webapp)
