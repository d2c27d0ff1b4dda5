"""What grading leaves for people to read, written from the gradebook alone: grades.csv,
grades-by-test.csv, the feedback pages and report.html. Runs no student code.

May import: ``course``, ``setup``, ``isolation``, ``students``, ``preparing``, ``exchanging``.
"""
