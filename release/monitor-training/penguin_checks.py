"""Helpers for the tests in this assignment's notebooks. You do not need to read or change this file.

The tests judge values, not spellings: a number counts whatever type it came in (a Python
int or float, a NumPy number of any width, a 0-d array, a number Keras computed), a whole
number may be written as 12 or 12.0, and tables may be pandas DataFrames or NumPy arrays.
"""

from __future__ import annotations

import contextlib
import logging
import operator
import sys
import warnings

import numpy as np
import pandas as pd

FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
SPECIES = ["Adelie", "Chinstrap", "Gentoo"]


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


def _scalar(value):
    """A number Keras computed (a TensorFlow tensor) or a 0-d NumPy array as the NumPy number it
    holds; anything else as it is."""
    if type(value) is getattr(sys.modules.get("tensorflow.python.framework.ops"), "EagerTensor", None):
        value = np.asarray(value.numpy())
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    return value


def _type_name(value) -> str:
    if isinstance(value, np.ndarray):
        return f"a NumPy array of shape {value.shape}"
    return type(value).__name__


def whole_number(value, name: str) -> int:
    """``value`` as an exact Python int; an AssertionError if it is not a whole number.

    Python and NumPy integers count, and so do floats that hold a whole number (12.0).
    ``operator.index`` copies the value of an int subclass into a plain int, so an object
    that overrides ``__eq__`` cannot pass for any number.
    """
    value = _scalar(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise AssertionError(f"{name} should be a whole number (an int), not {_type_name(value)}")
    if isinstance(value, (int, np.integer)):
        return operator.index(value)
    number = real_number(value, name)
    if not number.is_integer():
        raise AssertionError(f"{name} should be a whole number (an int), not {number!r}")
    return int(number)


def real_number(value, name: str) -> float:
    """``value`` as an exact Python float; an AssertionError if it is not a number."""
    value = _scalar(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise AssertionError(f"{name} should be a number (a float), not {_type_name(value)}")
    if isinstance(value, (int, np.integer)):
        return float(operator.index(value))
    if isinstance(value, float):
        return float.__float__(value)  # a plain copy, whatever a subclass overrides
    return float(value.item())


def truth_value(value, name: str) -> bool:
    """``value`` as a plain bool; an AssertionError unless it is True or False."""
    value = _scalar(value)
    if type(value) is bool:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    raise AssertionError(f"{name} should be True or False, not {_type_name(value)}")


def string_list(values, name: str) -> list[str]:
    """``values`` as a list of plain strings: a list, tuple, array, Series, Index or pandas array of str."""
    sequences = (list, tuple, np.ndarray, pd.Series, pd.Index, pd.api.extensions.ExtensionArray)
    if not isinstance(values, sequences) or (isinstance(values, np.ndarray) and values.ndim != 1):
        raise AssertionError(f"{name} should be a list of strings, not {_type_name(values)}")
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
