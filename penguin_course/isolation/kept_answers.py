"""What the judge received while grading a student, kept: a changed test is judged again from it.

The judge never sees the student's kernel, only its answers, as data (``crossing``): the value
of a name at a test's place, the result of a call of the student's function with the test's
arguments, and the student's files at that moment. Kept, they let a test that changed after
grading be judged again without running a line of the student's code, with the same result
as grading again in full (``grading.replay``).

Each answer is kept under where the kernel was when it gave it: ``place``, how many of the
notebook's kernel cells (every code cell but the judged tests) had run, and ``calls``, how many
calls of the student's functions the tests had made since then (a call runs the student's code,
which may change what the next question finds). A question asked in another state than any kept
one, or a call with other arguments, is not answered: ``NotKept``, and the student is graded
again in full. So are calls made in another order or left out, since later cells saw their effects.

A student's answers are kept in one zip file beside the run record: ``answers.json`` (the keys,
and each notebook as it was executed, for its kernel cells' outputs) and ``blobs/<sha256>`` (the
bytes of every answer and file, each once). The run record keeps the file's digest: a file that
does not match it, or holds a blob that does not match its name, is not read. Nothing in it is
ever unpickled or run: the bytes go to the judge, which decodes them as data, as it decodes the
kernel's.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

KEPT_ANSWERS = "kept-answers.zip"  # in autograded/<student>/<assignment>/, beside the run record
FORMAT = 1
MAX_ENTRIES = 100_000  # of a kept file, read back


class NotKept(Exception):
    """What a replay needs is not among the kept answers (or they cannot be trusted): grade in full."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def state(place: int, calls: int, what: str = "") -> str:
    """The key of an answer: the kernel's state (``place``, ``calls``) and the question."""
    return f"{place}/{calls}/{what}"


class NotebookAnswers:
    """One notebook's answers: kept while it is graded, or read back to judge it again."""

    def __init__(self, blobs: dict[str, bytes], saved: dict | None = None):
        saved = saved or {}
        self.blobs = blobs  # shared by the student's notebooks
        self.fetches: dict[str, dict] = dict(saved.get("fetches", {}))  # state(place, calls, name) -> reply
        self.calls: dict[str, dict] = dict(saved.get("calls", {}))  # state(place, calls) -> the call and its reply
        self.files: dict[str, dict[str, str]] = dict(saved.get("files", {}))  # state(place, calls) -> path -> blob
        self.executed: dict | None = saved.get("executed")  # the notebook as the kernel ran it (nbformat's JSON)
        self.judged: list[str] = list(saved.get("judged", []))  # the grade ids judged then

    def to_json(self) -> dict:
        return {"fetches": self.fetches, "calls": self.calls, "files": self.files, "executed": self.executed,
                "judged": self.judged}

    def blob(self, data: bytes) -> str:
        name = digest(data)
        self.blobs[name] = data
        return name

    def reply_entry(self, reply: dict, data: bytes) -> dict:
        entry = {"op": reply.get("op"), "message": reply.get("message", "")}
        if reply.get("op") == "value":
            entry["blob"] = self.blob(data)
        return entry

    # keeping, while the kernel answers

    def keep(self, place: int, calls: int, question: dict, arguments: bytes, reply: dict, data: bytes) -> None:
        """The kernel's ``reply`` (with ``data``) to the judge's ``question`` (with ``arguments``)."""
        entry = self.reply_entry(reply, data)
        if question.get("op") == "call":
            entry.update(handle=question.get("handle"), name=question.get("name", ""), args=digest(arguments))
            self.calls[state(place, calls)] = entry
        else:
            key = state(place, calls, str(question.get("name", "")))
            # the same question in the same state answered otherwise (a value that changes as it is
            # read): no answer can stand for both
            self.fetches[key] = entry if self.fetches.get(key, entry) == entry else {"op": "ambiguous"}

    def keep_files(self, place: int, calls: int, folder: Path, skip: set[str]) -> None:
        """The student's files as the judge got them before a test (``folder``, but ``skip``)."""
        files = {path.relative_to(folder).as_posix(): self.blob(path.read_bytes())
                 for path in sorted(folder.rglob("*"))
                 if path.is_file() and not path.is_symlink() and path.relative_to(folder).parts[0] not in skip}
        key = state(place, calls)
        self.files[key] = files if self.files.get(key, files) == files else {"": "ambiguous"}

    # answering, in a replay

    def value(self, entry: dict | None, what: str) -> tuple[dict, bytes]:
        if isinstance(entry, dict) and entry.get("op") == "ambiguous":
            raise NotKept(f"the kernel answered {what} in two ways at the same place when it was graded")
        if not isinstance(entry, dict) or entry.get("op") not in ("value", "missing", "refused", "raised"):
            raise NotKept(f"the changed tests ask for {what}, which the tests did not ask for when it was graded")
        if entry["op"] != "value":
            return {"op": entry["op"], "message": str(entry.get("message", ""))}, b""
        return {"op": "value"}, self.read_blob(entry.get("blob"))

    def answer(self, place: int, calls: int, question: dict, arguments: bytes) -> tuple[dict, bytes]:
        """The kept reply to ``question`` in this state; NotKept if there is none."""
        name = str(question.get("name", ""))[:200]
        if question.get("op") != "call":
            return self.value(self.fetches.get(state(place, calls, name)), f"`{name}`")
        kept = self.calls.get(state(place, calls))
        if not isinstance(kept, dict) or kept.get("handle") != question.get("handle") or kept.get("args") != digest(arguments):
            raise NotKept(f"the changed tests call {name}() with other arguments, or in another order, than "
                          "when it was graded")
        return self.value(kept, f"{name}()")

    def files_at(self, place: int, calls: int) -> dict[str, bytes]:
        files = self.files.get(state(place, calls))
        if not isinstance(files, dict) or "" in files:
            raise NotKept("a changed test runs where no test ran when it was graded")
        return {path: self.read_blob(name) for path, name in files.items()}

    def calls_made(self) -> dict[int, int]:
        """How many calls the tests made at each place (the replay must make the same)."""
        made: dict[int, int] = {}
        for key in self.calls:
            place, calls, _ = key.split("/", 2)
            made[int(place)] = max(made.get(int(place), 0), int(calls) + 1)
        return made

    def read_blob(self, name) -> bytes:
        data = self.blobs.get(name) if isinstance(name, str) else None
        if data is None or digest(data) != name:
            raise NotKept("the kept answers are damaged")
        return data


class KeptAnswers:
    """A student's kept answers for an assignment: for each notebook that ran, its answers."""

    def __init__(self, submission: str = "", base: str = ""):
        self.submission, self.base = submission, base  # the digests of what was graded (``uptodate``)
        self.blobs: dict[str, bytes] = {}
        self.notebooks: dict[str, NotebookAnswers] = {}

    def notebook(self, name: str) -> NotebookAnswers:
        if name not in self.notebooks:
            self.notebooks[name] = NotebookAnswers(self.blobs)
        return self.notebooks[name]

    def write(self, path: Path) -> str:
        """Write them to ``path`` (whole or not at all); the file's digest, for the run record."""
        manifest = {"format": FORMAT, "submission": self.submission, "base": self.base,
                    "notebooks": {name: answers.to_json() for name, answers in self.notebooks.items()}}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("answers.json", json.dumps(manifest))
            used = {name for answers in self.notebooks.values() for name in used_blobs(answers)}
            for name in sorted(used):
                archive.writestr(f"blobs/{name}", self.blobs[name])
        data = buffer.getvalue()
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, path)
        return digest(data)

    @classmethod
    def read(cls, path: Path, expected: str) -> KeptAnswers:
        """The answers in ``path``, if its digest is ``expected`` (the run record's); NotKept otherwise."""
        try:
            data = path.read_bytes()
        except OSError:
            raise NotKept("there are no kept answers") from None
        if not expected or digest(data) != expected:
            raise NotKept("the kept answers are not the ones this run recorded")
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
                if len(names) > MAX_ENTRIES:
                    raise ValueError("too many entries")
                manifest = json.loads(archive.read("answers.json"))
                blobs = {name[len("blobs/"):]: archive.read(name) for name in names if name.startswith("blobs/")}
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise ValueError("another format")
            kept = cls(str(manifest.get("submission", "")), str(manifest.get("base", "")))
            kept.blobs = blobs
            kept.notebooks = {str(name): NotebookAnswers(blobs, saved)
                              for name, saved in dict(manifest.get("notebooks", {})).items()}
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError, OSError, EOFError) as error:
            raise NotKept(f"the kept answers cannot be read ({error})") from None
        return kept


def used_blobs(answers: NotebookAnswers) -> set[str]:
    names = {entry.get("blob") for entry in [*answers.fetches.values(), *answers.calls.values()]}
    names |= {name for files in answers.files.values() for name in files.values()}
    return {name for name in names if isinstance(name, str) and name in answers.blobs}
