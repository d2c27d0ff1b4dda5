"""Helpers for the tests in this assignment's notebooks. You do not need to read or change this file.

The tests judge values, not spellings: a number counts as an int or a float
whatever type it came in (Python or NumPy), tables may be pandas DataFrames or
NumPy arrays, and the data the tests compare against is read from
``penguins.csv`` here, never taken from the notebook's own variables.
"""

from __future__ import annotations

import contextlib
import logging
import operator
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).with_name("penguins.csv")
FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
SPECIES = ["Adelie", "Chinstrap", "Gentoo"]
N_TEST = 69


@contextlib.contextmanager
def quiet():
    """Silence warnings and TensorFlow logging while a test computes.

    nbgrader scores a test cell that writes to stderr as failed, so the
    tests' own calls into Keras must not leave messages there.
    """
    loggers = [logging.getLogger(name) for name in ("tensorflow", "absl", "keras")]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def whole_number(value, name: str) -> int:
    """``value`` as an exact Python int; an AssertionError if it is not a whole number.

    ``operator.index`` copies the value of an int subclass into a plain int, so
    an object that overrides ``__eq__`` cannot pass for any number.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise AssertionError(f"{name} should be a whole number (an int), not {type(value).__name__}")
    return operator.index(value)


def real_number(value, name: str) -> float:
    """``value`` as an exact Python float; an AssertionError if it is not a number."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise AssertionError(f"{name} should be a number (a float), not {type(value).__name__}")
    if isinstance(value, (int, np.integer)):
        return float(operator.index(value))
    if isinstance(value, float):
        return float.__float__(value)  # a plain copy, whatever a subclass overrides
    return float(value.item())


def truth_value(value, name: str) -> bool:
    """``value`` as a plain bool; an AssertionError unless it is True or False."""
    if type(value) is bool:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    raise AssertionError(f"{name} should be True or False, not {type(value).__name__}")


def string_list(values, name: str) -> list[str]:
    """``values`` as a list of plain strings: a list, tuple, array, Series or Index of str."""
    sequences = (list, tuple, np.ndarray, pd.Series, pd.Index, pd.api.extensions.ExtensionArray)
    if not isinstance(values, sequences):
        raise AssertionError(f"{name} should be a list of strings, not {type(values).__name__}")
    items = list(values)
    for item in items:
        if not isinstance(item, str):
            raise AssertionError(f"{name} should hold strings, but holds {item!r} ({type(item).__name__})")
    return [str.__str__(item) for item in items]


def table(value, name: str) -> np.ndarray:
    """A pandas DataFrame or 2-D NumPy array as a 2-D float array."""
    if not isinstance(value, (pd.DataFrame, np.ndarray)):
        raise AssertionError(f"{name} should be a pandas DataFrame or a NumPy array, not {type(value).__name__}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"{name} should hold numbers only ({error})") from None
    if array.ndim != 2:
        raise AssertionError(f"{name} should have rows and columns (2 dimensions), not {array.ndim}")
    return array


def assert_same_table(actual, expected: pd.DataFrame, name: str) -> None:
    """``actual`` holds the rows of ``expected``, in the same order; the columns may come in any order."""
    values = table(actual, name)
    wanted = expected.to_numpy(dtype=float)
    if values.shape != wanted.shape:
        raise AssertionError(f"{name} should have shape {wanted.shape}, not {values.shape}")
    remaining = list(range(values.shape[1]))
    for column, column_name in enumerate(expected.columns):
        match = next((i for i in remaining if np.allclose(values[:, i], wanted[:, column], equal_nan=True)), None)
        if match is None:
            raise AssertionError(f"{name} does not hold the expected values of {column_name!r} in the expected rows")
        remaining.remove(match)


def load_penguins() -> pd.DataFrame:
    """The dataset as ``sns.load_dataset('penguins')`` returns it (seaborn title-cases ``sex``)."""
    penguins = pd.read_csv(DATA)
    penguins["sex"] = penguins["sex"].str.title()
    return penguins


def lesson_data() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The lesson's ``penguins_filtered``, ``penguin_features`` and one-hot ``target``."""
    filtered = load_penguins().drop(columns=["island", "sex"]).dropna()
    features = filtered.drop(columns=["species"])
    target = pd.get_dummies(filtered["species"])
    return filtered, features, target


def lesson_split():
    """The lesson's ``X_train, X_test, y_train, y_test``, computed from the data file."""
    from sklearn.model_selection import train_test_split

    _, features, target = lesson_data()
    return train_test_split(features, target, test_size=0.2, random_state=0, shuffle=True, stratify=target)


def one_hot_species(one_hot, species, name: str) -> list[str]:
    """The species that each column of a one-hot table stands for, checked against ``species``.

    Each row must have exactly one 1, and each column must stand for one
    species: so any column order and any encoding (bool, int, float) pass.
    """
    values = table(one_hot, name)
    species = list(species)
    if values.shape != (len(species), len(SPECIES)):
        raise AssertionError(f"{name} should have shape {(len(species), len(SPECIES))}, not {values.shape}")
    if not (np.isin(values, [0, 1]).all() and (values.sum(axis=1) == 1).all()):
        raise AssertionError(f"{name} should be one-hot: a single 1 in each row, the rest 0")
    columns = []
    for column in range(values.shape[1]):
        named = {s for s, v in zip(species, values[:, column]) if v == 1}
        unnamed = {s for s, v in zip(species, values[:, column]) if v == 0}
        if len(named) != 1 or named & unnamed:
            raise AssertionError(f"column {column} of {name} does not stand for a single species")
        columns.append(named.pop())
    if sorted(columns) != SPECIES:
        raise AssertionError(f"the columns of {name} should stand for {SPECIES}, not {columns}")
    return columns


def assert_one_hot(one_hot, species, name: str) -> None:
    """``one_hot`` is a one-hot encoding of ``species`` (see ``one_hot_species``)."""
    one_hot_species(one_hot, species, name)


def dense_layers(model) -> list:
    import keras

    if not isinstance(model, keras.Model):
        raise AssertionError(f"model should be a Keras model, not {type(model).__name__}")
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def count_weights(model) -> int:
    """The number of parameters, counted from the model's weight tensors themselves."""
    if not model.weights:
        raise AssertionError("the model has no weights yet: give it an input shape, e.g. keras.Input(shape=(4,))")
    return sum(int(np.prod(weight.shape)) for weight in model.weights)


def activation_name(layer) -> str:
    import keras

    return str(keras.activations.serialize(layer.activation))


def assert_lesson_layers(model, name: str = "model") -> None:
    """4 inputs, a hidden Dense(10, relu) and an output Dense(3, softmax)."""
    layers = dense_layers(model)
    if len(layers) != 2:
        raise AssertionError(f"{name} should have 2 Dense layers (hidden and output), not {len(layers)}")
    if not model.weights:
        raise AssertionError(f"{name} has no weights yet: give it an input shape, e.g. keras.Input(shape=(4,))")
    for layer, shape, activation in zip(layers, [(4, 10), (10, 3)], ["relu", "softmax"]):
        if tuple(layer.kernel.shape) != shape:
            raise AssertionError(f"layer {layer.name} should connect {shape[0]} inputs to {shape[1]} neurons, "
                                 f"not {tuple(layer.kernel.shape)}")
        if activation_name(layer) != activation:
            raise AssertionError(f"layer {layer.name} should use {activation}, not {activation_name(layer)}")


def build_network(n_inputs: int, n_hidden: int, n_outputs: int):
    """A network of the lesson's shape and the given sizes, for the tests to count."""
    import keras

    inputs = keras.Input(shape=(n_inputs,))
    hidden = keras.layers.Dense(n_hidden, activation="relu")(inputs)
    outputs = keras.layers.Dense(n_outputs, activation="softmax")(hidden)
    return keras.Model(inputs=inputs, outputs=outputs)


def assert_lesson_network(model, name: str = "model") -> None:
    """The lesson's layers, with all 83 parameters counted from the weights."""
    assert_lesson_layers(model, name)
    expected = count_weights(build_network(4, 10, 3))
    if count_weights(model) != expected:
        raise AssertionError(f"{name} should have {expected} parameters, counted from its weights: "
                             f"it has {count_weights(model)}")


def predict(model, features) -> np.ndarray:
    """The model's output for ``features``, computed quietly."""
    with quiet():
        return np.asarray(model.predict(features, verbose=0))


def true_species(one_hot: pd.DataFrame) -> list[str]:
    """The species of each row of the lesson's one-hot target."""
    return list(one_hot.idxmax(axis="columns"))


def predicted_species(model, features, y_train) -> list[str]:
    """The species ``model`` predicts for ``features``: the output with the highest probability.

    Output ``j`` of the model stands for the species of column ``j`` of the
    ``y_train`` it was trained on, whatever order the student's one-hot columns have.
    """
    _, _, expected_y_train, _ = lesson_split()
    columns = one_hot_species(y_train, true_species(expected_y_train), "y_train")
    return [columns[i] for i in predict(model, features).argmax(axis=1)]


def loss_name(loss) -> str:
    """The name of a compiled loss, however it was given: string, function or object."""
    if isinstance(loss, str):
        name = loss
    else:
        name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return name.lower().replace("_", "")
