"""Where things are in the course repository.

The grading tooling finds the assignments under source/ itself (see ``assignments``); the
names below are the workshop's day-1 lesson, for what is about its content: the dataset,
the demo class's known mistakes, the students' setup check, the benchmark and the tests.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "penguin-classification"
SOURCE = ROOT / "source" / ASSIGNMENT
RELEASE = ROOT / "release" / ASSIGNMENT
NOTEBOOKS = sorted(path.name for path in SOURCE.glob("*.ipynb"))
DATASET = SOURCE / "penguins.csv"
DEMO_SUBMISSIONS = ROOT / "demo" / "submitted"
