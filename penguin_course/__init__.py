"""Tooling for the penguin-classification course assignment: release, demo grading, checks."""
