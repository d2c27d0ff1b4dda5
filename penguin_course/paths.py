"""Where things are in the course repository."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "penguin-classification"
NOTEBOOKS = [
    "1-inspect-dataset.ipynb",
    "2-count-parameters.ipynb",
    "3-test-performance.ipynb",
    "4-improve-results.ipynb",
]

SOURCE = ROOT / "source" / ASSIGNMENT
RELEASE = ROOT / "release" / ASSIGNMENT
DATASET = SOURCE / "penguins.csv"
DEMO_SUBMISSIONS = ROOT / "demo" / "submitted"
