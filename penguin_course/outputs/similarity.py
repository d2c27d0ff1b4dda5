"""How alike the students' answers are: exports/similarity.csv and a section of report.html.

For each notebook, what every student wrote in its answer cells is compared with what every
other student wrote, by copydetect's fingerprints (winnowing over tokens, as MOSS does: names of
variables and functions are replaced by placeholders, so renaming does not hide a copy;
fingerprints are a set, so reordering cells does not either). What a student wrote is their
answer cells' code without the lines they were given: every line of the assignment's released
notebooks, in any cell (the stubs, the given lines around them, the code of the other cells and
of the instructions), whitespace aside. A notebook left as handed out has nothing of its own and pairs
with nobody. Fingerprints that most of the class shares (more than half of those who handed the
notebook in, and at least ``COMMON_FROM``) are the exercise's common idiom, not a copy, and do
not count either. A pair's similarity in a notebook is the larger of the two shares of each
one's remaining fingerprints found in the other's (counted for all pairs at once, as a sparse
product); the pair's score is its mean over the notebooks both wrote something of their own in.
The report shows the pairs from ``SHOWN_FROM`` up, each with its notebooks' matching lines
(their own lines whose tokens, names aside, the other wrote too) marked side by side. Similarity
is a reason to look, not a verdict: short answers to the same exercise can look alike.

Each student's fingerprints (and a digest of each of their lines, for the side-by-side view) are
kept beside their graded notebooks (``FINGERPRINTS``), under the digest of the graded notebook and
of the given lines they were taken against: a refresh fingerprints only what changed, and the
shards of `make grade SHARD=i/N` fingerprint their own students, so that a merge does not. The
file is data (numbers); one that does not match is not used.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from copydetect import defaults
from copydetect.utils import filter_code, winnow

from penguin_course.course.assignments import Assignment
from penguin_course.course.notebooks import is_solution, read
from penguin_course.outputs import spreadsheets

K = defaults.NOISE_THRESHOLD  # characters of filtered code a fingerprint covers
WINDOW = defaults.GUARANTEE_THRESHOLD - defaults.NOISE_THRESHOLD + 1
COLUMNS = ["assignment", "student_a", "student_b", "similarity"]
FINGERPRINTS = "fingerprints.json"  # in a student's graded folder: {notebook: {"key", "hashes", "lines"}}
COMMON_FROM = 3  # a fingerprint shared by at least this many students, and by most of them, is common
SHOWN_FROM = 0.3  # the report shows the pairs at least this similar


@dataclass
class Match:
    assignment: str
    notebook: str
    students: tuple[str, str]
    similarity: float
    code: tuple[str, str]  # each student's own code (HTML), the lines the other wrote too marked
    matching_lines: int  # how many of the first one's lines the second wrote too


def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


def stable_hashes(code: str) -> set[int]:
    """The fingerprints copydetect takes of ``code`` (its filter of names and strings, its k-grams and
    winnowing), with a hash that is the same in every process. copydetect hashes k-grams with
    Python's hash(), salted anew in each process: such fingerprints could not be kept for the next
    refresh, nor made by a shard on another machine."""
    filtered, _ = filter_code(code, "answer.py", "python")
    if len(filtered) < K:
        return set()
    kgrams = np.array([stable_hash(filtered[i:i + K]) for i in range(len(filtered) - K + 1)], dtype=np.int64)
    winnowed, _ = winnow(kgrams, WINDOW, remove_duplicates=False)
    return {int(value) for value in winnowed}


def line_key(line: str) -> int | None:
    """A line as copydetect reads it (names and strings as placeholders, no comment), hashed: two
    lines that differ only in their names have the same key; a line of comment only has none."""
    filtered, _ = filter_code(line.strip(), "line.py", "python")
    return stable_hash(filtered) if filtered.strip() else None


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


class Given:
    """What every student of the assignment received: every line of its released notebooks, in any
    cell (stripped), the fingerprints of their code, and the digest of both."""

    def __init__(self, assignment: Assignment):
        released = [read(path) for path in sorted(assignment.release.glob("*.ipynb"))]
        self.lines = frozenset(line.strip() for notebook in released for cell in notebook.cells
                               for line in cell.source.splitlines() if line.strip())
        self.hashes = set().union(*(stable_hashes(released_code(assignment, notebook))
                                    for notebook in assignment.notebooks))
        self.digest = hashlib.sha256(f"{K} {WINDOW} {sorted(self.lines)} {sorted(self.hashes)}".encode()).hexdigest()

    def own(self, code: str) -> list[str]:
        """The lines of ``code`` that were not given, as written."""
        return [line for line in code.splitlines() if line.strip() and line.strip() not in self.lines]


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


@dataclass
class Written:
    """What a student wrote of their own in a notebook: its fingerprints and its lines' keys."""
    hashes: np.ndarray
    lines: set[int]


def student_fingerprints(assignment: Assignment, student: str, given: Given) -> dict[str, Written]:
    """By notebook, what ``student`` wrote of their own (nothing for a notebook left as handed out),
    from the kept file where it matches, else taken now and kept."""
    folder = assignment.autograded(student)
    try:
        kept = json.loads((folder / FINGERPRINTS).read_text())
        kept = kept if isinstance(kept, dict) else {}
    except (OSError, ValueError):
        kept = {}
    found, changed = {}, False
    for notebook in assignment.notebooks:
        path = folder / notebook
        try:
            key = hashlib.sha256(path.read_bytes() + given.digest.encode()).hexdigest()
        except OSError:
            continue  # not graded: nothing to compare
        entry = kept.get(notebook)
        if isinstance(entry, dict) and entry.get("key") == key and all(
                isinstance(entry.get(field), list) and all(type(value) is int for value in entry[field])
                for field in ("hashes", "lines")):
            hashes, lines = entry["hashes"], entry["lines"]
        else:
            own = given.own(answer_code(path))
            hashes = sorted(stable_hashes("\n".join(own)) - given.hashes)
            lines = sorted({line_hash for line in own if (line_hash := line_key(line)) is not None})
            kept[notebook], changed = {"key": key, "hashes": hashes, "lines": lines}, True
        found[notebook] = Written(np.array(hashes, dtype=np.int64), set(lines))
    if changed and folder.is_dir():
        (folder / FINGERPRINTS).write_text(json.dumps(kept))
    return found


def keep_fingerprints(assignment: Assignment, students: list[str]) -> None:
    """Take and keep the fingerprints of ``students``' answers (a shard's, for the merge)."""
    given = Given(assignment)
    for student in students:
        student_fingerprints(assignment, student, given)


def common(sets: list, handed_in: int) -> set[int]:
    """The values that most of the ``handed_in`` students' ``sets`` hold (at least COMMON_FROM of them)."""
    counts = Counter(int(value) for values in sets for value in set(values))
    return {value for value, count in counts.items() if count >= COMMON_FROM and count > handed_in / 2}


def marked(code: str, given: Given, theirs: set[int], ignored: set[int]) -> tuple[str, int]:
    """``code``'s own lines as HTML, those whose key is in ``theirs`` (and not ``ignored``) marked;
    how many are."""
    shown, count = [], 0
    for line in given.own(code):
        key = line_key(line)
        if key is not None and key in theirs and key not in ignored:
            shown.append(f"<mark>{html.escape(line)}</mark>")
            count += 1
        else:
            shown.append(html.escape(line))
    return "\n".join(shown), count


def compare(assignment: Assignment, students: list[str], shown: int = 5) -> tuple[pd.DataFrame, list[Match]]:
    """Every pair of ``students``' answers to ``assignment``: (a row per pair, most similar first,
    with a column per notebook; the ``shown`` most similar notebook comparisons from SHOWN_FROM up,
    their matching lines marked)."""
    rows: dict[tuple[str, str], dict[str, float]] = {pair: {} for pair in itertools.combinations(sorted(students), 2)}
    given = Given(assignment)
    of_student = {student: student_fingerprints(assignment, student, given) for student in students}
    similar, common_lines = [], {}
    for notebook in assignment.notebooks:
        written = {student: found[notebook] for student, found in of_student.items() if notebook in found}
        shared = common([entry.hashes for entry in written.values()], len(written))
        common_lines[notebook] = common([entry.lines for entry in written.values()], len(written))
        prints = {student: kept for student, entry in written.items()
                  if len(kept := np.array([value for value in entry.hashes if int(value) not in shared],
                                          dtype=np.int64))}
        answered, shares = overlaps(prints)
        for i, j in itertools.combinations(range(len(answered)), 2):
            similarity = float(max(shares[i, j], shares[j, i]))
            rows[(answered[i], answered[j])][notebook] = similarity
            if similarity >= SHOWN_FROM:
                similar.append((similarity, notebook, answered[i], answered[j]))
    matches = []
    for similarity, notebook, first, second in sorted(similar, key=lambda item: -item[0])[:shown]:
        lines = {name: of_student[name][notebook].lines for name in (first, second)}
        codes = {name: answer_code(assignment.autograded(name) / notebook) for name in (first, second)}
        (code_a, count), (code_b, _) = (marked(codes[name], given, lines[other], common_lines[notebook])
                                        for name, other in ((first, second), (second, first)))
        matches.append(Match(assignment.name, notebook, (first, second), similarity, (code_a, code_b), count))
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
             "alike. Only what students wrote of their own counts: no line of the released notebooks (in any "
             "cell), and none of the code most of the class wrote alike. The score of a pair is the mean, over "
             "the notebooks both wrote something of their own in, of the larger share of one's code (its "
             "fingerprints) found in the other's (names of variables do not matter, nor the order of cells). "
             f"Pairs from {SHOWN_FROM:.0%} up are shown with the lines both wrote marked; every pair is in "
             "<code>exports/similarity.csv</code>.</p>")
    if table.empty:
        return intro + "<p>There are fewer than two graded submissions to compare.</p>"
    listed = table[table["similarity"] >= SHOWN_FROM].head(top).copy()
    if listed.empty:
        return intro + f"<p>No pair of students is {SHOWN_FROM:.0%} alike or more.</p>"
    for column in listed.columns[3:]:
        listed[column] = listed[column].map(lambda value: "" if pd.isna(value) else f"{value:.0%}")
    views = "".join(
        f"<h4>{html.escape(match.students[0])} and {html.escape(match.students[1])}, "
        f"{html.escape(match.notebook)}: {match.similarity:.0%}, {match.matching_lines} matching "
        f"line{'' if match.matching_lines == 1 else 's'} of their own</h4>"
        "<div style='display:flex;flex-wrap:wrap;gap:1em'>"
        + "".join(f"<pre style='flex:1 1 20em;min-width:0;overflow-x:auto;background:#f6f6f6;padding:.5em'>"
                  f"{code}</pre>" for code in match.code) + "</div>"
        for match in matches[:top])
    return intro + listed.to_html(index=False, escape=True) + views
