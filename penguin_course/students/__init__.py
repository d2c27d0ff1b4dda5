"""What students run on their own machines (``course_tools.pyz``): the setup check and
``validate``, which runs a notebook as the grader will. Nothing here imports grading's modules.

May import: ``course``, ``setup``, ``isolation``.
"""
