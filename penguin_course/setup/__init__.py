"""Machines: the virtual environment, the system packages grading needs, the students' setup
check and environment, and the dataset.

May import: ``course``.
"""
