"""Helpers of the hidden tests: the reference answers, computed from the data file.

Only the tests' judge imports this module. Files of an assignment named ``hidden_*`` are never
released (nbgrader_config.py ignores them) and never in a student's kernel, so the answers it
builds (the lesson's split, its network) reach no student.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from penguin_checks import SPECIES, quiet, table

DATA = Path(__file__).with_name("penguins.csv")


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


def assert_same_table(actual, expected: pd.DataFrame, name: str) -> None:
    """``actual`` holds the rows of ``expected``, in the same order; the columns may come in any order.
    Values are compared within float32's precision (about 7 digits)."""
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


def build_network(n_inputs: int, n_hidden: int, n_outputs: int):
    """A network of the lesson's shape and the given sizes, for the tests to count."""
    import keras

    inputs = keras.Input(shape=(n_inputs,))
    hidden = keras.layers.Dense(n_hidden, activation="relu")(inputs)
    outputs = keras.layers.Dense(n_outputs, activation="softmax")(hidden)
    return keras.Model(inputs=inputs, outputs=outputs)


def _softmax(x):
    shifted = np.exp(x - x.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


# What an activation computes, by name: a model is judged by what it computes, however its
# activations were written ('relu', tf.nn.relu, keras.ops.relu, a ReLU layer, an Activation layer).
ACTIVATIONS = {"relu": lambda x: np.maximum(x, 0), "softmax": _softmax, "linear": lambda x: x,
               "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "tanh": np.tanh}


def weights_and_bias(layer) -> tuple[np.ndarray, np.ndarray]:
    """A Dense layer's kernel and bias (zeros if it has none: its parameter count is another test's)."""
    kernel = np.asarray(layer.kernel, dtype=float)
    bias = np.asarray(layer.bias, dtype=float) if layer.use_bias else np.zeros(kernel.shape[1])
    return kernel, bias


def computed_activations(model, layers) -> tuple[str, str] | None:
    """(hidden, output): the activations ``model`` computes with its two Dense ``layers``, found by
    running it on made-up measurements and comparing with each pair computed from its weights."""
    inputs = np.random.default_rng(0).normal(0, 3, size=(32, 4)).astype("float32")
    with quiet():
        outputs = np.asarray(model(inputs, training=False), dtype=float)
    (kernel_1, bias_1), (kernel_2, bias_2) = [weights_and_bias(layer) for layer in layers]
    hidden = inputs @ kernel_1 + bias_1
    for hidden_name, hidden_activation in ACTIVATIONS.items():
        for output_name, output_activation in ACTIVATIONS.items():
            expected = output_activation(hidden_activation(hidden) @ kernel_2 + bias_2)
            if expected.shape == outputs.shape and np.allclose(outputs, expected, rtol=1e-4, atol=1e-5):
                return hidden_name, output_name
    return None


def assert_lesson_layers(model, name: str = "model") -> None:
    """4 inputs, a hidden Dense(10) with relu and an output Dense(3) with softmax: the layers'
    shapes, and what the model computes with them."""
    layers = dense_layers(model)
    if len(layers) != 2:
        raise AssertionError(f"{name} should have 2 Dense layers (hidden and output), not {len(layers)}")
    if not model.weights:
        raise AssertionError(f"{name} has no weights yet: give it an input shape, e.g. keras.Input(shape=(4,))")
    for layer, shape in zip(layers, [(4, 10), (10, 3)]):
        if tuple(layer.kernel.shape) != shape:
            raise AssertionError(f"layer {layer.name} should connect {shape[0]} inputs to {shape[1]} neurons, "
                                 f"not {tuple(layer.kernel.shape)}")
    found = computed_activations(model, layers)
    if found != ("relu", "softmax"):
        what = f"it computes {found[0]} and {found[1]}" if found else "it computes something else"
        raise AssertionError(f"{name}'s hidden layer should use relu and its output layer softmax: {what}")


def assert_lesson_network(model, name: str = "model") -> None:
    """The lesson's layers, with all of the lesson network's parameters counted from the weights."""
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
    try:
        columns = one_hot_species(y_train, true_species(expected_y_train), "y_train")
    except AssertionError as error:
        raise AssertionError(f"the model's outputs cannot be matched to species, as y_train is not the lesson's "
                             f"split (train_test_split with test_size=0.2, random_state=0, stratify=target): "
                             f"{error}") from None
    return [columns[i] for i in predict(model, features).argmax(axis=1)]


def assert_accuracy(value, truth: list[str], predicted: list[str], name: str) -> None:
    """``value`` is the share of ``predicted`` that matches ``truth``: a fraction of so many samples
    can only be a multiple of 1/len(truth), so any value closer to it than half a step (float32's,
    a rounded one) names the same count of right predictions."""
    from penguin_checks import real_number

    right = sum(t == p for t, p in zip(truth, predicted))
    expected = right / len(truth)
    accuracy = real_number(value, name)
    if not abs(accuracy - expected) < 0.5 / len(truth):
        raise AssertionError(f"{name} should be {expected:.6f} ({right} of {len(truth)} right), not {accuracy:.6f}")


def loss_name(loss) -> str:
    """The name of a compiled loss, however it was given: string, function or object."""
    if isinstance(loss, str):
        name = loss
    else:
        name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return name.lower().replace("_", "")
