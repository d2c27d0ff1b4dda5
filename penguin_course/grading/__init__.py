"""Grading: a whole class in parallel workers, one student's submission in a worker, one
notebook as the autograder runs it, and a class split into shards across machines.

May import: every other stage.
"""
