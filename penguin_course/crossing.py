"""What may cross from a student's kernel to the judge: data, never code (issue: judge the tests
outside the student's kernel).

``encode`` runs in the student's kernel and turns a value into a JSON document plus binary
blobs (NumPy's .npy format). ``decode`` runs in the judge, where no student code ever runs, and
rebuilds the value from that data alone: builtins, NumPy arrays (not of object dtype),
pandas Series, DataFrames and Index, and Keras models made of Keras's own layers (their
architecture, weights and optimizer step count). Anything else is refused with a message
naming the variable and its type, and nothing in it is executed: no pickle, no eval, no class
looked up by a name the student chose, and a size bound on all of it.

The kernel is the student's: it may send anything. That only changes the student's own
answer, which the judge then checks as data; it cannot make the judge run anything.
"""

from __future__ import annotations

import io
import json
import math
import sys

import numpy as np

MAX_BYTES = 64 * 2**20  # all blobs of one value together
MAX_ITEMS = 100_000  # builtins nested in one value
MAX_DEPTH = 32
FORMAT = 1

# Keras objects a model may be rebuilt from: what keras.saving serializes for its own layers,
# models, optimizers, initializers, regularizers, constraints, losses and metrics. A student's
# own class, a Lambda layer (it carries bytecode) or a registered custom object is refused.
KERAS_MODULES = {"keras", "keras.layers", "keras.optimizers", "keras.initializers", "keras.regularizers",
                 "keras.constraints", "keras.losses", "keras.metrics", "keras.activations",
                 "keras.src.models.functional", "keras.src.models.sequential", "keras.src.models.model"}
KERAS_REFUSED_CLASSES = {"Lambda", "TFSMLayer", "function"}


PLAIN_SCALARS = (bool, int, float, str)
# pandas dtypes rebuilt by name (numeric ones come with their arrays)
PANDAS_DTYPES = {"str", "string", "object", "category", "boolean", "Int64", "Float64", "bool"}


class CrossingRefused(ValueError):
    """A value that cannot cross as data: the test that needs it fails with this message."""


# --------------------------------------------------------------------------------------------
# the kernel's side


def _array_blob(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, order="C"), allow_pickle=False)  # (ascontiguousarray makes 0-d 1-d)
    return buffer.getvalue()


def _encode(value, blobs: list[bytes], depth: int):
    if depth > MAX_DEPTH:
        raise CrossingRefused("it is nested too deeply")
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return {"t": "json", "v": value}
    if kind is int:
        return {"t": "int", "v": str(value)}
    if kind is float:
        return {"t": "float", "v": repr(value)}
    if kind in (list, tuple):
        return {"t": kind.__name__, "v": [_encode(item, blobs, depth + 1) for item in value]}
    if kind is dict:
        return {"t": "dict", "v": [[_encode(k, blobs, depth + 1), _encode(v, blobs, depth + 1)]
                                   for k, v in value.items()]}
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        return {"t": "scalar", "v": _encode(np.asarray(value), blobs, depth + 1)}
    if kind is np.ndarray:
        if value.dtype.hasobject:  # strings and missing values, as pandas keeps them
            if not all(item is None or type(item) in PLAIN_SCALARS for item in value.flat):
                raise CrossingRefused("it is a NumPy array of Python objects other than strings and numbers")
            return {"t": "objects", "shape": list(value.shape),
                    "v": [_encode(item, blobs, depth + 1) for item in value.flat]}
        blobs.append(_array_blob(value))
        return {"t": "array", "blob": len(blobs) - 1}
    pandas = sys.modules.get("pandas")
    if pandas is not None and (kind in (pandas.Series, pandas.DataFrame) or (
            isinstance(value, pandas.Index) and kind.__module__.split(".")[0] == "pandas")):
        return _encode_pandas(value, pandas, blobs, depth)
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(value, keras.Model):
        return _encode_keras(value, keras, blobs, depth)
    raise CrossingRefused(f"a {kind.__module__}.{kind.__qualname__} cannot be sent to the judge")


def _column(values, blobs, depth):
    document = _encode(np.asarray(values.to_numpy()), blobs, depth + 1)
    document["dtype"] = str(values.dtype)
    return document


def _encode_pandas(value, pandas, blobs, depth):
    if isinstance(value, pandas.Index):
        return {"t": "index", "v": _column(value, blobs, depth), "name": _encode(value.name, blobs, depth + 1)}
    if isinstance(value, pandas.Series):
        return {"t": "series", "v": _column(value, blobs, depth), "index": _encode_pandas(value.index, pandas, blobs, depth + 1),
                "name": _encode(value.name, blobs, depth + 1)}
    return {"t": "dataframe", "columns": _encode_pandas(value.columns, pandas, blobs, depth + 1),
            "index": _encode_pandas(value.index, pandas, blobs, depth + 1),
            "v": [_column(value.iloc[:, i], blobs, depth) for i in range(value.shape[1])]}


def _encode_keras(model, keras, blobs, depth):
    document = {"t": "keras", "model": json.dumps(keras.saving.serialize_keras_object(model)),
                "weights": [_encode(np.asarray(w), blobs, depth + 1) for w in model.get_weights()]}
    if getattr(model, "compiled", False) and model.optimizer is not None:
        document["compile"] = json.dumps(model.get_compile_config())
        document["iterations"] = int(np.asarray(model.optimizer.iterations))
    return document


def encode(value) -> tuple[str, list[bytes]]:
    """``value`` as (a JSON document, binary blobs); CrossingRefused if it is not data."""
    blobs: list[bytes] = []
    document = json.dumps({"format": FORMAT, "value": _encode(value, blobs, 0)})
    if len(document) + sum(map(len, blobs)) > MAX_BYTES:
        raise CrossingRefused(f"it is larger than {MAX_BYTES // 2**20} MiB")
    return document, blobs


# --------------------------------------------------------------------------------------------
# the judge's side


class _Decoder:
    def __init__(self, blobs: list[bytes]):
        self.blobs = blobs
        self.items = 0

    def value(self, node, depth: int = 0):
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise CrossingRefused("it is too large or nested too deeply")
        if not isinstance(node, dict) or not isinstance(node.get("t"), str):
            raise CrossingRefused("the kernel sent something that is not a value")
        kind, payload = node["t"], node.get("v")
        if kind == "json" and (payload is None or type(payload) in (bool, str)):
            return payload
        if kind == "int" and isinstance(payload, str) and len(payload) <= 4300:
            return int(payload)
        if kind == "float" and isinstance(payload, str) and len(payload) <= 40:
            return float(payload)
        if kind in ("list", "tuple") and isinstance(payload, list):
            items = [self.value(item, depth + 1) for item in payload]
            return items if kind == "list" else tuple(items)
        if kind == "dict" and isinstance(payload, list):
            pairs = [(self.value(k, depth + 1), self.value(v, depth + 1)) for k, v in payload]
            if not all(isinstance(k, (str, int, float, bool, tuple, type(None))) for k, _ in pairs):
                raise CrossingRefused("a dict key that is not a plain value")
            return dict(pairs)
        if kind == "scalar":
            array = self.value(payload, depth + 1)
            if not isinstance(array, np.ndarray) or array.shape != ():
                raise CrossingRefused("a NumPy number that is not one")
            return array[()]
        if kind == "array":
            return self.array(node.get("blob"))
        if kind == "objects" and isinstance(payload, list):
            items = [self.value(item, depth + 1) for item in payload]
            if not all(item is None or type(item) in PLAIN_SCALARS for item in items):
                raise CrossingRefused("an array of objects other than strings and numbers")
            array = np.empty(len(items), dtype=object)
            array[:] = items
            return array.reshape(tuple(int(n) for n in node["shape"]))
        if kind in ("index", "series", "dataframe"):
            return self.pandas(node, depth)
        if kind == "keras":
            return self.keras(node, depth)
        raise CrossingRefused(f"the kernel sent a value of unknown kind {kind!r}")

    def array(self, index) -> np.ndarray:
        if type(index) is not int or not 0 <= index < len(self.blobs):
            raise CrossingRefused("an array the kernel did not send")
        try:
            array = np.load(io.BytesIO(self.blobs[index]), allow_pickle=False)
        except ValueError as error:  # object arrays need pickle: refused
            raise CrossingRefused(f"an array that is not plain data ({error})") from None
        if not isinstance(array, np.ndarray):
            raise CrossingRefused("a blob that is not one array")
        return array

    def column(self, node, depth):
        """A column's values, with its pandas dtype if that is named rather than given by the array."""
        values = self.value(node, depth + 1)
        dtype = node.get("dtype")
        if dtype in PANDAS_DTYPES:
            import pandas as pd

            return pd.array(values, dtype=dtype) if dtype != "object" else values
        return values

    def pandas(self, node, depth):
        import pandas as pd

        kind = node["t"]
        if kind == "index":
            return pd.Index(self.column(node["v"], depth + 1), name=self.value(node["name"], depth + 1))
        index = self.pandas(node["index"], depth + 1)
        if kind == "series":
            return pd.Series(self.column(node["v"], depth + 1), index=index, name=self.value(node["name"], depth + 1))
        columns = self.pandas(node["columns"], depth + 1)
        data = [self.column(column, depth + 1) for column in node["v"]]
        if len(data) != len(columns):
            raise CrossingRefused("a DataFrame whose columns do not match their names")
        frame = pd.DataFrame({i: column for i, column in enumerate(data)}, index=index)
        frame.columns = columns
        return frame

    def keras(self, node, depth):
        import keras

        architecture = json.loads(node["model"])
        check_keras_config(architecture)
        model = keras.saving.deserialize_keras_object(architecture, safe_mode=True)
        weights = [self.value(w, depth + 1) for w in node["weights"]]
        model.set_weights(weights)
        if "compile" in node:
            compile_config = json.loads(node["compile"])
            check_keras_config(compile_config)
            model.compile_from_config(compile_config)
            iterations = node.get("iterations", 0)
            if type(iterations) is not int or iterations < 0:
                raise CrossingRefused("an optimizer step count that is not one")
            if not model.optimizer.built:
                model.optimizer.build(model.trainable_variables)
            model.optimizer.iterations.assign(iterations)
        return model


def check_keras_config(config, path: str = "model") -> None:
    """Refuse a serialized Keras object that names anything but Keras's own classes."""
    if isinstance(config, dict):
        if "class_name" in config and "module" in config:
            module, name = config.get("module"), config.get("class_name")
            if module not in KERAS_MODULES or name in KERAS_REFUSED_CLASSES or config.get("registered_name") not in (
                    None, name):
                raise CrossingRefused(f"its {path} uses {module}.{name}: only Keras's own layers, without code of "
                                      "their own, can be checked")
        for key, value in config.items():
            check_keras_config(value, f"{path}.{key}" if key != "config" else path)
    elif isinstance(config, list):
        for item in config:
            check_keras_config(item, path)


def decode(document: str, blobs: list[bytes], name: str = "the answer"):
    """The value ``encode`` made, rebuilt from data; CrossingRefused naming ``name`` otherwise."""
    try:
        if len(document) + sum(map(len, blobs)) > MAX_BYTES:
            raise CrossingRefused(f"it is larger than {MAX_BYTES // 2**20} MiB")
        parsed = json.loads(document, parse_constant=lambda constant: math.nan)
        if not isinstance(parsed, dict) or parsed.get("format") != FORMAT:
            raise CrossingRefused("the kernel sent a document of another format")
        return _Decoder(blobs).value(parsed.get("value"))
    except CrossingRefused as refusal:
        raise CrossingRefused(f"{name} cannot be checked: {refusal}") from None
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        raise CrossingRefused(f"{name} cannot be checked: the kernel sent malformed data ({error})") from None
