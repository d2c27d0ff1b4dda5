"""Tooling for the course's assignments, in sub-packages by stage, lowest first.

A stage imports only the stages below it (``course_tests/test_layout.py`` checks this):

1. ``course``: the course folder and its assignments, students' work and run records
2. ``setup``: machines: the virtual environment, system packages, the students' setup check, the dataset
3. ``isolation``: running untrusted code: the sandbox, warm kernels, the judge, what may cross
4. ``students``: the students' own commands (check, validate), handed out as ``course_tools.pyz``
5. ``preparing``: release/ from source/, the demo class and its known wrong answers
6. ``exchanging``: nbgrader's exchange and collecting submissions into submitted/
7. ``outputs``: feedback pages, CSVs and the report, written from the gradebook
8. ``grading``: a class, one student's submission, one notebook, shards

``__main__`` (the Makefile's commands) and ``bench`` stand above them all.
"""

# The stages, lowest first: each may import those before it (its docstring's "May import" says which).
STAGES = ("course", "setup", "isolation", "students", "preparing", "exchanging", "outputs", "grading")
ENTRY_POINTS = ("__main__", "bench")  # above every stage
