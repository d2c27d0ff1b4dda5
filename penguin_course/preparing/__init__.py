"""Before students start: release/ generated from source/ with the students' tools, the demo
class, and a known wrong answer for every test.

May import: ``course``, ``setup``, ``isolation``, ``students``.
"""
