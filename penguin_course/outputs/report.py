"""The class report: report.html, one page an instructor looks at after `make grade`.

It shows the distribution of the autograded scores, how many students passed each test
(a plot: the tests most students fail stand out), an item analysis of the tests (each one's
difficulty and discrimination, and the tests to look at first), the submissions that could
not be graded, or not fully, and why, and who was late or had more time. The plots are embedded, so the page is one file that CI
can upload as it is.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen: render to PNG
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from matplotlib.ticker import MaxNLocator  # noqa: E402

from penguin_course.course.records import MANUAL, PASSED  # noqa: E402
from penguin_course.outputs import safe_html  # noqa: E402


# Read on a laptop or a phone: plots shrink to the width, wide tables scroll in their own box.
STYLE = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 .5em}"
         "img{max-width:100%;height:auto}"
         "table{border-collapse:collapse;display:block;max-width:100%;overflow-x:auto}"
         "td,th{border:1px solid #ccc;padding:.3em}")


def png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def score_distribution(auto: pd.DataFrame) -> str:
    totals = auto.groupby("student_id")[["score", "max_score"]].sum()
    figure, axes = plt.subplots(figsize=(7, 3.5))
    sns.histplot(totals["score"], bins=min(20, max(5, len(totals))), binrange=(0, totals["max_score"].max()), ax=axes)
    axes.set(xlabel=f"autograded score (out of {totals['max_score'].max():g})", ylabel="students",
             title=f"Scores of {len(totals)} students")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    return png(figure)


def passes_per_test(auto: pd.DataFrame) -> str:
    auto = auto.assign(passed=auto["status"] == PASSED)
    counts = auto.groupby(["notebook", "grade_id"], sort=False)["passed"].sum().reset_index()
    counts["test"] = counts["notebook"].str.split("-").str[0] + ": " + counts["grade_id"]
    figure, axes = plt.subplots(figsize=(7, 0.25 * len(counts) + 1))
    sns.barplot(counts, x="passed", y="test", hue="notebook", dodge=False, legend=False, ax=axes)
    axes.set(xlabel=f"students who passed (of {auto['student_id'].nunique()})", ylabel="",
             xlim=(0, auto["student_id"].nunique()), title="Passes per test")
    return png(figure)


EVERYONE_FAILS, NOBODY_FAILS, NEGATIVE = "everyone fails it", "nobody fails it", "stronger students fail it more"


def item_analysis(auto: pd.DataFrame) -> pd.DataFrame:
    """Per autograded test (in the table's order): its difficulty, the share of students who
    passed it; its discrimination, the correlation of its score with the rest of the student's
    autograded score (the corrected item-total correlation; none when either does not vary);
    and flags for the tests to look at first."""
    auto = auto.assign(passed=(auto["score"] >= auto["max_score"]).astype(float))
    keys = ["notebook", "grade_id"]
    scores = auto.pivot_table(index="student_id", columns=keys, values="score", aggfunc="sum", sort=False)
    total = scores.sum(axis=1)
    rows = []
    for key, passed in auto.groupby(keys, sort=False)["passed"]:
        item, rest = scores[key], total - scores[key]
        varies = item.nunique() > 1 and rest.nunique() > 1
        discrimination = float(item.corr(rest)) if varies else float("nan")
        difficulty = float(passed.mean())
        flags = [flag for flag, applies in ((EVERYONE_FAILS, difficulty == 0), (NOBODY_FAILS, difficulty == 1),
                                            (NEGATIVE, discrimination < 0)) if applies]
        rows.append((*key, difficulty, discrimination, "; ".join(flags)))
    return pd.DataFrame(rows, columns=[*keys, "difficulty", "discrimination", "flags"])


def difficulty_against_discrimination(items: pd.DataFrame) -> str:
    """A test per point: the share who passed it against how well it tells stronger students from weaker."""
    figure, axes = plt.subplots(figsize=(7, 4))
    shown = items.assign(discrimination=items["discrimination"].fillna(0))
    sns.scatterplot(shown, x="difficulty", y="discrimination", hue="notebook", ax=axes)
    for row in shown[shown["flags"] != ""].itertuples():
        axes.annotate(row.grade_id, (row.difficulty, row.discrimination), fontsize=7, xytext=(3, 3),
                      textcoords="offset points")
    axes.axhline(0, color="grey", linewidth=0.8)
    axes.set(xlim=(-0.05, 1.05), ylim=(-1.05, 1.05), xlabel="difficulty (share of students who passed)",
             ylabel="discrimination (correlation with the rest)", title="Tests: difficulty and discrimination")
    axes.legend(fontsize=7, loc="lower left")
    return png(figure)


def item_section(auto: pd.DataFrame) -> str:
    """The item analysis: the plot, then the flagged tests first."""
    items = item_analysis(auto)
    listed = items.assign(order=items["flags"] == "").sort_values("order", kind="stable").drop(columns="order")
    listed = listed.assign(difficulty=listed["difficulty"].map("{:.0%}".format),
                           discrimination=listed["discrimination"].map(lambda r: "–" if pd.isna(r) else f"{r:.2f}"))
    flagged = int((items["flags"] != "").sum())
    return (f"<h3>Tests to look at</h3><p>{flagged} of {len(items)} tests are flagged: one that everyone fails "
            "or nobody fails tells students apart no more than no test; one that stronger students fail more "
            "often than weaker ones (negative discrimination) may test something else than meant, or be wrong. "
            "Discrimination is the correlation of a test's score with the rest of the student's autograded "
            "score; it needs students who differ.</p>"
            f"<img alt='difficulty against discrimination' src='data:image/png;base64,"
            f"{difficulty_against_discrimination(items)}'>{listed.to_html(index=False, escape=True)}")


def problems(notebooks: pd.DataFrame) -> pd.DataFrame:
    """One row per student and notebook that could not be graded, or not to the end, and why."""
    stopped = notebooks[notebooks["status"] != ""]
    return stopped.sort_values(["student_id", "notebook"])


def hand_grading(table: pd.DataFrame, autograded: set[tuple[str, str]]) -> str:
    """How far grading by hand has come: answers graded, and answers waiting (by student)."""
    keys = pd.Series(list(zip(table["notebook"], table["grade_id"])), index=table.index, dtype=object)
    written = table[~keys.isin(autograded)]
    waiting = written[written["status"] == MANUAL]
    done = int((written["status"] == "graded by hand").sum())
    answers = lambda n: f"{n} written answer{'' if n == 1 else 's'}"  # noqa: E731
    text = (f"<p>{answers(len(waiting))} wait{'s' if len(waiting) == 1 else ''} to be graded by hand "
            f"(formgrader, then <code>make feedback</code>); {answers(done)} graded by hand.</p>")
    if len(waiting):
        per_student = waiting.groupby("student_id").size().rename("answers waiting").reset_index()
        text += per_student.to_html(index=False, escape=True)
    return text


def assignment_section(table: pd.DataFrame, notebooks: pd.DataFrame, autograded: set[tuple[str, str]]) -> str:
    """The report's part on one assignment: its scores, tests, grading by hand and problems."""
    keys = pd.Series(list(zip(table["notebook"], table["grade_id"])), index=table.index, dtype=object)
    auto = table[keys.isin(autograded)]
    problem_rows = problems(notebooks)
    problem_html = ("<p>Every notebook of every submission was graded.</p>" if problem_rows.empty
                    else problem_rows.to_html(index=False, escape=True))
    plots = ("<p>This assignment has no autograded test.</p>" if auto.empty else
             f"<h3>Scores</h3><img alt='score distribution' src='data:image/png;base64,{score_distribution(auto)}'>"
             f"<h3>Tests</h3><img alt='passes per test' src='data:image/png;base64,{passes_per_test(auto)}'>"
             f"{item_section(auto)}")
    return (f"{plots}<h3>Grading by hand</h3>{hand_grading(table, autograded)}"
            f"<h3>Submissions not graded, or not fully</h3>{problem_html}")


def deadline_section(lateness: pd.DataFrame) -> str:
    """Who was late, by how much and what it cost, and who had more time (``deadlines.lateness_shown``'s
    rows of one assignment)."""
    if (lateness["due"] == "").all():
        return ("<p>No due date is set (<code>due-dates.csv</code>, or formgrader's <em>Manage Assignments</em>): "
                "no submission counts as late.</p>")
    late, extended = lateness[lateness["late_by_seconds"] > 0], lateness[lateness["extended"]]
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    text = (f"<p>{plural(len(late), 'submission')} of {len(lateness)} late; {plural(len(extended), 'student')} "
            "with an extension (<code>extensions.csv</code>). Penalties are in points, taken off the "
            "score.</p>")
    shown = lateness[(lateness["late_by_seconds"] > 0) | lateness["extended"]]
    if len(shown):
        columns = ["student_id", "due", "extended", "submitted", "late_by", "penalty"]
        text += (shown[columns].assign(extended=shown["extended"].map({True: "yes", False: ""}),
                                       penalty=shown["penalty"].round(2))
                 .rename(columns={"late_by": "late by"}).to_html(index=False, escape=True))
    return text


def missing_line(students: list[str]) -> str:
    """Who of the gradebook's students handed nothing in for an assignment."""
    if not students:
        return ""
    shown = ", ".join(html.escape(student) for student in students[:20]) + (" …" if len(students) > 20 else "")
    return (f"<p>{len(students)} student{'' if len(students) == 1 else 's'} handed nothing in for it (missing in "
            f"grades.csv; blank in the exports): {shown}.</p>")


def write(table: pd.DataFrame, notebooks: pd.DataFrame, autograded: set[tuple[str, str, str]], path: Path,
          similarity: dict[str, str] | None = None, lateness: pd.DataFrame | None = None,
          missing: dict[str, list[str]] | None = None) -> Path:
    """report.html, a section per assignment, from the grades-by-test table, each notebook's
    status and message, and the (assignment, notebook, grade_id) of the autograded tests (the
    written answers are not plotted); ``similarity``: each assignment's section on similar answers;
    ``lateness``: each submission's deadline and lateness (``deadlines.lateness_shown``);
    ``missing``: by assignment, the students who handed nothing in for it."""
    if table.empty:
        body = "<p>No submissions were graded.</p>"
    else:
        body = ""
        for name in sorted(table["assignment"].unique()):
            tests = {(notebook, cell) for assignment, notebook, cell in autograded if assignment == name}
            stopped = notebooks[notebooks["assignment"] == name].drop(columns="assignment")
            body += (f"<h2>{html.escape(name)}</h2>" + missing_line((missing or {}).get(name, []))
                     + assignment_section(table[table["assignment"] == name], stopped, tests))
            if lateness is not None and (lateness["assignment"] == name).any():
                body += f"<h3>Deadlines</h3>{deadline_section(lateness[lateness['assignment'] == name])}"
            if similarity and name in similarity:
                body += f"<h3>Similar answers</h3>{similarity[name]}"
    # Every value from a submission (student ids, messages, code) is escaped; the policy is the
    # second line of defence: the page runs no script at all.
    path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
                    f"<meta http-equiv='Content-Security-Policy' content=\"{safe_html.CSP_STATIC}\">"
                    "<title>Grading report</title>"
                    f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{STYLE}</style>"
                    f"</head><body><h1>Grading report</h1>{body}</body></html>")
    return path
