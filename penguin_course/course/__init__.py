"""The course and its assignments: where everything is, and what a run found.

A ``Course`` (``directory``) is made once from a folder and handed to every command: its
nbgrader config, gradebook, assignments, folders and run records. Modules here use the
standard library at import time (`make grade` asks ``uptodate`` whether anything changed
before importing anything heavy); the students' tools bundle some of them.

May import: nothing else of the course's tooling.
"""
