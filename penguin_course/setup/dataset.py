"""The penguins dataset, shipped with the assignment so that grading works offline.

Students call ``sns.load_dataset('penguins')``. seaborn reads
``<data_home>/penguins.csv`` when that file exists and only downloads it
otherwise, so the notebooks point seaborn's data home at the assignment folder
(``SEABORN_DATA``), where ``penguins.csv`` lies beside the notebooks.

The file is rebuilt from the ``palmerpenguins`` package (CC0), which ships the
same measurements in another layout: an extra ``year`` column, ``male`` and
``female``, ``NA`` for missing values, and rows ordered Adelie, Gentoo,
Chinstrap. seaborn's copy drops ``year``, writes ``MALE``/``FEMALE``, leaves
missing values empty and groups the rows Adelie, Chinstrap, Gentoo.

Run ``python -m penguin_course.setup.dataset`` to rewrite the shipped file.
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

from penguin_course.course.paths import DATASET

COLUMNS = [
    "species",
    "island",
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
    "sex",
]
FEATURE_COLUMNS = COLUMNS[2:6]
SPECIES = ["Adelie", "Chinstrap", "Gentoo"]

# What seaborn's penguins dataset holds, as the lesson describes it.
N_ROWS = 344
SPECIES_COUNTS = {"Adelie": 152, "Chinstrap": 68, "Gentoo": 124}
ROWS_WITHOUT_MEASUREMENTS = 2  # dropped by the lesson's dropna(): 342 rows remain
ROWS_WITHOUT_SEX = 11


def palmerpenguins_csv() -> str:
    """The text of the CSV that the palmerpenguins package ships."""
    return resources.files("palmerpenguins").joinpath("data/penguins.csv").read_text()


def to_seaborn_layout(palmer_text: str) -> str:
    """Convert palmerpenguins' CSV text into seaborn's layout, byte for byte."""
    rows = list(csv.DictReader(io.StringIO(palmer_text)))
    if len(rows) != N_ROWS:
        raise ValueError(f"palmerpenguins CSV: expected {N_ROWS} rows, found {len(rows)}")
    # sorted() is stable: the order within each species is kept.
    rows.sort(key=lambda row: SPECIES.index(row["species"]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        values = ["" if row[column] == "NA" else row[column] for column in COLUMNS]
        values[-1] = values[-1].upper()
        writer.writerow(values)
    return out.getvalue()


def write(path: Path = DATASET) -> Path:
    path.write_text(to_seaborn_layout(palmerpenguins_csv()))
    return path


if __name__ == "__main__":
    print(f"wrote {write()}")
