"""How alike the students' answers are: exports/similarity.csv and a section of report.html.

For each notebook, the code of every student's answer cells is compared with every other
student's by copydetect (winnowing over tokens, as MOSS does: names of variables and functions
are replaced by placeholders, so renaming does not hide a copy; fingerprints are a set, so
reordering cells does not either). The code of the released notebook is boilerplate: what
every student was given never counts. A pair's similarity in a notebook is the larger of the
two shares of each one's fingerprints found in the other's (counted for all pairs at once, as
a sparse product); the pair's score is its mean over the notebooks both answered; copydetect
then marks the matching code of the pairs the report shows. Similarity is a reason to look, not a verdict: short answers to
the same exercise can look alike.

Each student's fingerprints are kept beside their graded notebooks (``FINGERPRINTS``), under the
digest of the graded notebook and of the released code they were taken against: a refresh
fingerprints only what changed, and the shards of `make grade SHARD=i/N` fingerprint their own
students, so that a merge does not. The file is data (numbers); one that does not match is not used.
"""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from copydetect import defaults
from copydetect.detector import CodeFingerprint, compare_files
from copydetect.utils import filter_code, highlight_overlap, winnow

from penguin_course.course.assignments import Assignment
from penguin_course.course.notebooks import is_solution, read
from penguin_course.outputs import spreadsheets

K = defaults.NOISE_THRESHOLD  # characters of filtered code a fingerprint covers
WINDOW = defaults.GUARANTEE_THRESHOLD - defaults.NOISE_THRESHOLD + 1
COLUMNS = ["assignment", "student_a", "student_b", "similarity"]
FINGERPRINTS = "fingerprints.json"  # in a student's graded folder: {notebook: {"key": ..., "hashes": [...]}}


@dataclass
class Match:
    assignment: str
    notebook: str
    students: tuple[str, str]
    similarity: float
    code: tuple[str, str]  # each student's answer code, the matching parts marked in HTML


def fingerprint(name: str, code: str, boilerplate: np.ndarray | None = None) -> CodeFingerprint:
    """copydetect's fingerprint, to locate the matching code of a pair (its hashes are this process's only)."""
    return CodeFingerprint(name, K, WINDOW, boilerplate=boilerplate, language="python", fp=io.StringIO(code))


def stable_hashes(code: str) -> set[int]:
    """The fingerprints copydetect takes of ``code`` (its filter of names and strings, its k-grams and
    winnowing), with a hash that is the same in every process. copydetect hashes k-grams with
    Python's hash(), salted anew in each process: such fingerprints could not be kept for the next
    refresh, nor made by a shard on another machine."""
    filtered, _ = filter_code(code, "answer.py", "python")
    if len(filtered) < K:
        return set()
    kgrams = np.array([int.from_bytes(hashlib.blake2b(filtered[i:i + K].encode(), digest_size=8).digest(), "little",
                                      signed=True) for i in range(len(filtered) - K + 1)], dtype=np.int64)
    winnowed, _ = winnow(kgrams, WINDOW, remove_duplicates=False)
    return {int(value) for value in winnowed}


def answer_code(notebook: Path) -> str:
    """The code of the notebook's answer cells, one after the other ("" if it cannot be read)."""
    try:
        cells = read(notebook).cells
    except Exception:  # a notebook that could not be graded has nothing to compare
        return ""
    return "\n\n".join(cell.source for cell in cells if cell.cell_type == "code" and is_solution(cell))


def released_code(assignment: Assignment, notebook: str) -> str:
    path = assignment.release / notebook
    if not path.is_file():
        return ""
    return "\n\n".join(cell.source for cell in read(path).cells if cell.cell_type == "code")


def overlaps(prints: dict[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
    """(the students, in order; for each pair of them, the share of the first one's fingerprints
    found in the second one's). One sparse product for all pairs: pairwise comparisons in Python
    would cost a class of 300 most of a minute."""
    students = sorted(prints)
    columns: dict[int, int] = {}
    rows, cols = [], []
    for row, student in enumerate(students):
        for value in prints[student]:
            rows.append(row)
            cols.append(columns.setdefault(int(value), len(columns)))
    present = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(students), max(1, len(columns))))
    shared = (present @ present.T).toarray()
    sizes = np.maximum(shared.diagonal(), 1)
    return students, shared / sizes[:, None]


class Boilerplate:
    """A notebook's released code, as fingerprints that never count, and the digest of them."""

    def __init__(self, assignment: Assignment, notebook: str):
        self.code = released_code(assignment, notebook)
        self.hashes = stable_hashes(self.code)
        self.digest = hashlib.sha256(f"{K} {WINDOW} {sorted(self.hashes)}".encode()).hexdigest()

    def copydetects(self) -> np.ndarray:
        """The same, as copydetect's fingerprints in this process."""
        return np.array(sorted(fingerprint("release", self.code).hashes), dtype=np.int64)


def student_fingerprints(assignment: Assignment, student: str,
                         boilerplates: dict[str, Boilerplate]) -> dict[str, np.ndarray]:
    """By notebook, the fingerprints of ``student``'s answers that are not given code (none for a
    notebook without answers of their own), from the kept file where it matches, else taken now
    and kept."""
    folder = assignment.autograded(student)
    try:
        kept = json.loads((folder / FINGERPRINTS).read_text())
        kept = kept if isinstance(kept, dict) else {}
    except (OSError, ValueError):
        kept = {}
    found, changed = {}, False
    for notebook, boilerplate in boilerplates.items():
        path = folder / notebook
        try:
            key = hashlib.sha256(path.read_bytes() + boilerplate.digest.encode()).hexdigest()
        except OSError:
            continue  # not graded: nothing to compare
        entry = kept.get(notebook)
        if isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("hashes"), list) \
                and all(type(value) is int for value in entry["hashes"]):
            hashes = entry["hashes"]
        else:
            code = answer_code(path)
            hashes = sorted(stable_hashes(code) - boilerplate.hashes) if code.strip() else []
            kept[notebook], changed = {"key": key, "hashes": hashes}, True
        if hashes:  # answers made of given code only have nothing of their own to compare
            found[notebook] = np.array(hashes, dtype=np.int64)
    if changed and folder.is_dir():
        (folder / FINGERPRINTS).write_text(json.dumps(kept))
    return found


def keep_fingerprints(assignment: Assignment, students: list[str]) -> None:
    """Take and keep the fingerprints of ``students``' answers (a shard's, for the merge)."""
    boilerplates = {notebook: Boilerplate(assignment, notebook) for notebook in assignment.notebooks}
    for student in students:
        student_fingerprints(assignment, student, boilerplates)


def compare(assignment: Assignment, students: list[str], shown: int = 5) -> tuple[pd.DataFrame, list[Match]]:
    """Every pair of ``students``' answers to ``assignment``: (a row per pair, most similar first,
    with a column per notebook; the ``shown`` most similar notebook comparisons, their matching
    code marked)."""
    rows: dict[tuple[str, str], dict[str, float]] = {pair: {} for pair in itertools.combinations(sorted(students), 2)}
    boilerplates = {notebook: Boilerplate(assignment, notebook) for notebook in assignment.notebooks}
    of_student = {student: student_fingerprints(assignment, student, boilerplates) for student in students}
    similar = []
    for notebook in assignment.notebooks:
        prints = {student: found[notebook] for student, found in of_student.items() if notebook in found}
        answered, shares = overlaps(prints)
        for i, j in itertools.combinations(range(len(answered)), 2):
            similarity = float(max(shares[i, j], shares[j, i]))
            rows[(answered[i], answered[j])][notebook] = similarity
            if similarity > 0:
                similar.append((similarity, notebook, answered[i], answered[j]))
    matches = []  # copydetect locates the matching code of the pairs shown
    for similarity, notebook, first, second in sorted(similar, key=lambda item: -item[0])[:shown]:
        given = boilerplates[notebook].copydetects()
        prints = {name: fingerprint(name, answer_code(assignment.autograded(name) / notebook), given)
                  for name in (first, second)}
        _, _, slices = compare_files(prints[first], prints[second])
        marked = tuple(highlight_overlap(prints[name].raw_code, part, "<mark>", "</mark>", escape_html=True)[0]
                       for name, part in ((first, slices[0]), (second, slices[1])))
        matches.append(Match(assignment.name, notebook, (first, second), similarity, marked))
    table = pd.DataFrame([{"assignment": assignment.name, "student_a": a, "student_b": b, **scores}
                          for (a, b), scores in rows.items()], columns=[*COLUMNS[:3], *assignment.notebooks])
    table["similarity"] = table[assignment.notebooks].mean(axis=1, skipna=True).fillna(0.0)
    table = table[[*COLUMNS, *assignment.notebooks]].sort_values(["similarity", "student_a", "student_b"],
                                                                  ascending=[False, True, True], kind="stable")
    return table.reset_index(drop=True), matches


def write_csv(table: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    spreadsheets.inert_table(table).to_csv(path, index=False, float_format="%.3f")


def section(table: pd.DataFrame, matches: list[Match], top: int = 5) -> str:
    """The report's part on similarity: the most similar pairs, and their matching code side by side."""
    intro = ("<p>Similarity is a reason to look, not a verdict: short answers to the same exercise look "
             "alike, and the code every student was given never counts. The score of a pair is the mean, over "
             "the notebooks both answered, of the larger share of one's answer code (its fingerprints) found in the other's "
             "(names of variables do not matter, nor the order of cells). Every pair is in "
             "<code>exports/similarity.csv</code>.</p>")
    if table.empty:
        return intro + "<p>There are fewer than two graded submissions to compare.</p>"
    shown = table.head(top).copy()
    for column in shown.columns[3:]:
        shown[column] = shown[column].map(lambda value: "" if pd.isna(value) else f"{value:.0%}")
    views = "".join(
        f"<h4>{html.escape(match.students[0])} and {html.escape(match.students[1])}, "
        f"{html.escape(match.notebook)}: {match.similarity:.0%}</h4>"
        "<div style='display:flex;flex-wrap:wrap;gap:1em'>"
        + "".join(f"<pre style='flex:1 1 20em;min-width:0;overflow-x:auto;background:#f6f6f6;padding:.5em'>"
                  f"{code}</pre>" for code in match.code) + "</div>"
        for match in matches[:top])
    return intro + shown.to_html(index=False, escape=True) + views
