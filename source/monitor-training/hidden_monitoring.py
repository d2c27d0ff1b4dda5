"""Helpers of the hidden tests of monitor-training: the checks of a validation split and of a
training's history, from the data file and what the student's notebook computed.

Only the tests' judge imports this module (files named ``hidden_*`` are never released).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from hidden_checks import dense_layers, lesson_split
from penguin_checks import quiet, table


def rows(features, target, name: str) -> Counter:
    """Each (measurements, species) pair of a split, counted: the rows, whatever their order or type."""
    features, target = table(features, f"X_{name}"), table(target, f"y_{name}")
    if len(features) != len(target):
        raise AssertionError(f"X_{name} has {len(features)} rows but y_{name} has {len(target)}: "
                             "they should be split together")
    return Counter(tuple(np.round(row, 6)) + tuple(label) for row, label in zip(features, target))


def scaled_training():
    """The lesson's ``X_train, y_train``, the measurements scaled as the notebook's setup cell scales them."""
    from sklearn.preprocessing import StandardScaler

    X_train, _, y_train, _ = lesson_split()
    return StandardScaler().fit_transform(X_train), y_train


def assert_validation_split(X_part, X_val, y_part, y_val) -> None:
    """The training set of the lesson's split, cut in two: every training penguin in exactly one
    part, with its own species, no test penguin, and 10 to 30% of them for validation."""
    X_train, y_train = scaled_training()
    training = rows(X_train, y_train, "train")
    part, validation = rows(X_part, y_part, "train_part"), rows(X_val, y_val, "val")
    if part + validation != training:
        foreign = (part + validation) - training
        raise AssertionError(
            f"X_train_part and X_val together should be the {len(X_train)} training penguins (with their species), "
            f"each once: {sum(foreign.values())} rows are not training penguins, or are there twice, or lost their "
            f"species" if foreign else
            f"X_train_part and X_val together should hold all {len(X_train)} training penguins, not "
            f"{sum((part + validation).values())}")
    share = sum(validation.values()) / len(X_train)
    if not 0.1 <= share <= 0.3:
        raise AssertionError(f"X_val should hold about 20% of the training penguins, not {share:.0%}")


def categorical_crossentropy(model, features, one_hot) -> float:
    """The model's mean categorical cross-entropy on ``features``, as Keras's fit measures it (from
    the softmax's inputs where it can: a confident wrong answer costs more than the clipped log)."""
    import keras

    with quiet():
        probabilities = model(table(features, "X_val").astype("float32"), training=False)
        losses = keras.losses.categorical_crossentropy(table(one_hot, "y_val").astype("float32"), probabilities)
    return float(np.mean(np.asarray(losses)))


def assert_monitored(history, model, X_val, y_val, name: str, model_name: str) -> None:
    """``history`` is ``model``'s training, at least 20 epochs, with a validation loss measured on
    (X_val, y_val): its last value is the loss of the trained model on them."""
    losses = history.history.get("val_loss")
    if not losses:
        raise AssertionError(f"{name} has no validation loss: pass validation_data=(X_val, y_val) to fit")
    if len(losses) < 20:
        raise AssertionError(f"{name} should hold at least 20 epochs of training, not {len(losses)}")
    measured = categorical_crossentropy(model, X_val, y_val)
    if not np.isclose(losses[-1], measured, rtol=0.02, atol=1e-3):
        raise AssertionError(f"the last validation loss of {name} ({losses[-1]:.4f}) should be the loss of "
                             f"{model_name} on (X_val, y_val), {measured:.4f}: was it trained with "
                             "validation_data=(X_val, y_val), and not trained again since?")


def dropout_rates(model) -> list[float]:
    """The rate of each Dropout layer of ``model``."""
    import keras

    return [float(layer.rate) for layer in model.layers if isinstance(layer, keras.layers.Dropout)]


def assert_dropout_network(model, name: str) -> None:
    """The lesson's network (4 inputs, Dense(10, relu), Dense(3, softmax)) with one Dropout layer
    of a rate between 0 and 1 after the hidden layer."""
    import keras

    rates = dropout_rates(model)
    if len(rates) != 1:
        raise AssertionError(f"{name} should have one Dropout layer, not {len(rates)}")
    if not 0 < rates[0] < 1:
        raise AssertionError(f"the Dropout layer of {name} should drop a share between 0 and 1, not {rates[0]}")
    dense = dense_layers(model)
    if [layer.units for layer in dense] != [10, 3]:
        raise AssertionError(f"{name} should have a Dense(10) and a Dense(3) layer, not Dense"
                             f"{[layer.units for layer in dense]}")
    order = [layer for layer in model.layers if isinstance(layer, (keras.layers.Dense, keras.layers.Dropout))]
    if not isinstance(order[1], keras.layers.Dropout):
        raise AssertionError(f"the Dropout layer of {name} should come right after the hidden Dense(10) layer")
