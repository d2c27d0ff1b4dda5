"""The penguins dataset ships with the assignment and loads offline, as seaborn's own copy."""

import sys

import pandas as pd
import pytest

from penguin_course.setup import dataset
from penguin_course.course.paths import DATASET, RELEASE, SOURCE
from penguin_course.setup.setup_check import NoNetwork


def test_shipped_file_is_seaborns_layout_of_the_palmerpenguins_data():
    assert DATASET.read_text() == dataset.to_seaborn_layout(dataset.palmerpenguins_csv())


def test_release_ships_the_same_bytes_as_source():
    assert (RELEASE / "penguins.csv").read_bytes() == DATASET.read_bytes()


def test_shape_columns_and_counts():
    penguins = pd.read_csv(DATASET)
    assert penguins.shape == (dataset.N_ROWS, len(dataset.COLUMNS)) == (344, 7)
    assert list(penguins.columns) == dataset.COLUMNS
    assert penguins["species"].value_counts().to_dict() == dataset.SPECIES_COUNTS
    assert penguins[dataset.FEATURE_COLUMNS].isna().all(axis=1).sum() == dataset.ROWS_WITHOUT_MEASUREMENTS
    assert penguins["sex"].isna().sum() == dataset.ROWS_WITHOUT_SEX
    assert set(penguins["sex"].dropna()) == {"MALE", "FEMALE"}


def test_rows_are_grouped_by_species_in_seaborns_order():
    species = pd.read_csv(DATASET)["species"]
    assert list(species.unique()) == dataset.SPECIES  # in order of first appearance
    assert species.ne(species.shift()).sum() == len(dataset.SPECIES)  # one block per species


def test_seaborn_loads_it_offline(monkeypatch):
    import seaborn as sns

    monkeypatch.setenv("SEABORN_DATA", str(RELEASE))
    with NoNetwork():
        penguins = sns.load_dataset("penguins")
    assert penguins.shape == (344, 7)
    assert set(penguins["sex"].dropna()) == {"Male", "Female"}  # seaborn title-cases the sex column


def test_the_lesson_filter_and_split_sizes():
    sys.path.insert(0, str(SOURCE))
    try:
        import hidden_checks
    finally:
        sys.path.remove(str(SOURCE))
    filtered, features, target = hidden_checks.lesson_data()
    assert len(filtered) == 342
    X_train, X_test, y_train, y_test = hidden_checks.lesson_split()
    assert (len(X_train), len(X_test), len(y_train), len(y_test)) == (273, 69, 273, 69)


def test_conversion_rejects_a_file_with_missing_rows():
    short = "\n".join(dataset.palmerpenguins_csv().splitlines()[:10])
    with pytest.raises(ValueError, match="expected 344 rows"):
        dataset.to_seaborn_layout(short)
