"""What may cross from a student's kernel to the judge: data, never code.

``encode`` runs in the student's kernel and turns a value into a JSON document plus binary
blobs (NumPy's .npy format). ``decode`` runs in the judge, where no student code ever runs, and
rebuilds the value from that data alone: builtins, NumPy arrays (not of object dtype) and
TensorFlow's eager tensors (as arrays), pandas Series, DataFrames, Index and extension arrays,
Keras models made of Keras's own layers (their architecture, weights and optimizer step count)
and the History their training returned. The functions a model uses (activations, losses,
metrics) cross only if they are TensorFlow's or Keras's own: the kernel finds each one by
identity in an allowlist of library functions (``library_functions``) and sends its entry, which
the judge looks up in its own allowlist. A function crosses as a handle: the judge calls it through the grader, which runs
it in the student's kernel with arguments sent as data (``answer``). A module crosses by name,
and the judge imports its own copy if the exercises import it too. Anything else is refused
with a message naming the variable and its type, and nothing in it is executed: no pickle, no
eval, no class looked up by a name the student chose, and a size bound on all of it.

This file runs in the student's kernel too (the grader sends its source), so it imports
nothing of the course's.

The kernel is the student's: it may send anything. That only changes the student's own
answer, which the judge then checks as data; it cannot make the judge run anything.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import sys
import types
import zipfile
from pathlib import Path

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

# Where library functions may come from, in order of preference: an activation, loss or metric
# given as one of these (``tf.nn.softmax``, ``keras.ops.relu``, ``keras.losses.categorical_crossentropy``)
# is the library's code, which the judge has too. Keras itself saves some of them only by a name it
# cannot load back (``tf.nn.softmax`` is ``softmax_v2``), so they cross as their allowlist entry.
LIBRARY_NAMESPACES = (("keras", "keras.activations"), ("keras", "keras.losses"), ("keras", "keras.metrics"),
                      ("keras", "keras.ops"), ("tensorflow", "tf.nn"), ("tensorflow", "tf.math"))
# functions that take functions (and would run code of the student's): never an activation
TAKES_CODE = {"map", "scan", "associative_scan", "cond", "switch", "while_loop", "fori_loop", "vectorized_map",
              "custom_gradient", "py_function", "numpy_function"}
ALLOWED_FUNCTION = "penguin_course.allowed"  # the module an allowlist entry crosses under


PLAIN_SCALARS = (bool, int, float, str)
# pandas dtypes rebuilt by name (numeric ones come with their arrays)
PANDAS_DTYPES = {"str", "string", "object", "category", "boolean", "Int64", "Float64", "bool"}


class CrossingRefused(ValueError):
    """A value that cannot cross as data: the test that needs it fails with this message."""


FUNCTION_TYPES = (types.FunctionType, types.MethodType, types.BuiltinFunctionType)
_functions: dict[int, object] = {}  # in the kernel: the functions the judge has a handle of


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
    # A subclass of a builtin number or string, or of ndarray, crosses as its plain value: what it
    # overrides (say, __eq__) stays in the kernel. The C slots copy the value without calling it.
    if isinstance(value, int) and not isinstance(value, bool):
        return _encode(int.__index__(value), blobs, depth)
    if isinstance(value, float):
        return _encode(float.__float__(value), blobs, depth)
    if isinstance(value, str):
        return _encode(str.__str__(value), blobs, depth)
    if isinstance(value, np.ndarray) and kind is not np.ndarray:
        return _encode(np.asarray(value).view(np.ndarray), blobs, depth)
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
    if pandas is not None and kind.__module__.split(".")[0] == "pandas" and isinstance(
            value, pandas.api.extensions.ExtensionArray):
        return {"t": "extension", "v": _column(pandas.Series(value), blobs, depth)}
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(value, keras.Model):
        return _encode_keras(value, keras, blobs, depth)
    if keras is not None and kind is keras.callbacks.History:
        return {"t": "history", "epoch": _encode(list(value.epoch), blobs, depth + 1),
                "history": _encode(dict(value.history), blobs, depth + 1),
                "params": _encode(dict(value.params or {}), blobs, depth + 1),
                "model": _encode(value.model, blobs, depth + 1) if value.model is not None else None}
    if kind is getattr(sys.modules.get("tensorflow.python.framework.ops"), "EagerTensor", None):
        return _encode(np.asarray(value.numpy()), blobs, depth + 1)  # a number or array Keras computed
    if isinstance(value, FUNCTION_TYPES):
        _functions[id(value)] = value
        return {"t": "function", "handle": id(value), "name": str(getattr(value, "__name__", "function"))}
    if kind is types.ModuleType:
        return {"t": "module", "name": value.__name__}
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


def library_functions() -> dict[str, object]:
    """The allowlist: entry (``tf.nn.softmax``) -> function, for the libraries this process has
    imported (it imports none). Kernel and judge run the same libraries, so they agree on it."""
    table = {}
    for package, namespace in LIBRARY_NAMESPACES:
        module = sys.modules.get(package)
        for attribute in namespace.split(".")[1:]:
            module = getattr(module, attribute, None)
        if not isinstance(module, types.ModuleType):
            continue
        for name, function in sorted(vars(module).items()):
            if not name.startswith("_") and name not in TAKES_CODE and isinstance(
                    function, (types.FunctionType, types.BuiltinFunctionType)):
                table.setdefault(f"{namespace}.{name}", function)
    return table


def functions_by_name() -> dict[str, object]:
    """Library functions by the name Keras saves a function under (its ``__name__``), for a model
    file, which holds names only: the first namespace of the allowlist that has the name wins."""
    table = {}
    for function in library_functions().values():
        table.setdefault(getattr(function, "__name__", ""), function)
    return table


def _library_reference(value, serialized, where: str, entries: dict[int, str]):
    """``serialized`` (Keras's form of ``value``) with every function in ``value`` replaced by its
    allowlist entry, found by identity; CrossingRefused for a function that is not the library's."""
    if isinstance(value, (*FUNCTION_TYPES, functools.partial)):
        entry = entries.get(id(value))
        if entry is None:
            name = getattr(value, "__name__", type(value).__name__)
            raise CrossingRefused(f"its {where} is the function {name!r}, which is not TensorFlow's or Keras's own "
                                  "(only their functions, or a name such as 'relu', can be checked)")
        return {"module": ALLOWED_FUNCTION, "class_name": "function", "config": entry, "registered_name": "function"}
    if isinstance(value, (list, tuple)) and isinstance(serialized, list) and len(value) == len(serialized):
        return [_library_reference(v, s, where, entries) for v, s in zip(value, serialized)]
    if isinstance(value, dict) and isinstance(serialized, dict):
        return {key: _library_reference(value.get(key), item, f"{where}[{key!r}]", entries)
                for key, item in serialized.items()}
    return serialized


def _layer_functions(model, config: dict, entries: dict[int, str]) -> None:
    """In a serialized model's layers, the functions the layers hold (``Dense(activation=tf.nn.relu)``)
    as their allowlist entries: each config value whose layer attribute of the same name is a function."""
    layers = {layer.name: layer for layer in getattr(model, "layers", [])}
    for layer_config in (config.get("config") or {}).get("layers") or []:
        inner = layer_config.get("config") if isinstance(layer_config, dict) else None
        layer = layers.get(inner.get("name")) if isinstance(inner, dict) else None
        if layer is None or type(layer).__name__ in KERAS_REFUSED_CLASSES:
            continue
        if "layers" in inner:
            _layer_functions(layer, layer_config, entries)
        for key, item in list(inner.items()):
            try:
                attribute = getattr(layer, key, None) if key not in ("name", "dtype", "trainable", "layers") else None
            except Exception:  # noqa: BLE001  a property that cannot answer holds no function
                attribute = None
            if attribute is not None:
                inner[key] = _library_reference(attribute, item, f"layer {layer.name}'s {key}", entries)


def _encode_keras(model, keras, blobs, depth):
    entries = {}
    for entry, function in library_functions().items():
        entries.setdefault(id(function), entry)
    try:
        architecture = keras.saving.serialize_keras_object(model)
    except Exception as error:  # noqa: BLE001  what Keras cannot describe cannot be rebuilt
        raise CrossingRefused(f"Keras cannot describe it ({type(error).__name__}: {str(error)[:300]})") from None
    architecture.pop("compile_config", None)  # sent on its own, below
    _layer_functions(model, architecture, entries)
    document = {"t": "keras", "id": id(model), "model": json.dumps(architecture),
                "weights": [_encode(np.asarray(w), blobs, depth + 1) for w in model.get_weights()]}
    if getattr(model, "compiled", False) and model.optimizer is not None:
        compile_config = getattr(getattr(model, "_compile_config", None), "config", None)
        document["compile"] = json.dumps(_library_reference(compile_config, model.get_compile_config(),
                                                            "compiled", entries))
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


class Context:
    """What the judge rebuilds values with, for one notebook: the models it has rebuilt (so that
    ``history.model is model`` holds as in the kernel), how it calls a student's function, and
    the modules it may import itself."""

    def __init__(self, function=None, modules: frozenset[str] = frozenset()):
        self.models: dict[int, object] = {}
        self.function = function  # (handle, name) -> a callable; None: functions are refused
        self.modules = modules


class _Decoder:
    def __init__(self, blobs: list[bytes], context: Context):
        self.blobs = blobs
        self.context = context
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
        if kind == "extension":
            import pandas as pd

            return pd.array(self.column(payload, depth + 1))
        if kind == "history":
            return self.history(node, depth)
        if kind == "function" and type(node.get("handle")) is int and isinstance(node.get("name"), str):
            if self.context.function is None:
                raise CrossingRefused("a function, where only data is expected")
            return self.context.function(node["handle"], node["name"][:100])
        if kind == "module" and node.get("name") in self.context.modules:
            import importlib

            return importlib.import_module(node["name"])
        if kind == "module":
            raise CrossingRefused(f"it is the module {str(node.get('name'))[:100]!r}, which the exercises do not use")
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

    def history(self, node, depth):
        import keras

        history = keras.callbacks.History()
        history.epoch = self.value(node["epoch"], depth + 1)
        history.history = self.value(node["history"], depth + 1)
        history.params = self.value(node["params"], depth + 1)
        if not (isinstance(history.epoch, list) and isinstance(history.history, dict)
                and isinstance(history.params, dict)):
            raise CrossingRefused("a training History that is not one")
        if node.get("model") is not None:
            history.set_model(self.value(node["model"], depth + 1))
        return history

    def keras(self, node, depth):
        """The model, rebuilt once for each object of the kernel's (its id) in each state (a digest of
        its configuration and weights): so ``history.model is model`` holds as in the kernel, and a
        model the tests read again unchanged is not rebuilt (nor its predictions compiled) again."""
        key = (node.get("id"), self.state_digest(node))
        if type(key[0]) is int and key in self.context.models:
            return self.context.models[key]
        model = self.keras_model(node, depth)
        if type(key[0]) is int:
            self.context.models[key] = model
        return model

    def state_digest(self, node) -> str:
        digest = hashlib.sha256(json.dumps([node.get("model"), node.get("compile"), node.get("iterations")]).encode())
        for weight in node.get("weights", []):
            index = weight.get("blob") if isinstance(weight, dict) else None
            digest.update(self.blobs[index] if type(index) is int and 0 <= index < len(self.blobs)
                          else json.dumps(weight).encode())
        return digest.hexdigest()

    def keras_model(self, node, depth):
        import keras

        architecture = json.loads(node["model"])
        check_keras_config(architecture)
        library = keras.saving.custom_object_scope(library_functions())  # allowlist entries -> functions
        with library:
            model = keras.saving.deserialize_keras_object(architecture, safe_mode=True)
        weights = [self.value(w, depth + 1) for w in node["weights"]]
        model.set_weights(weights)
        if "compile" in node:
            compile_config = json.loads(node["compile"])
            check_keras_config(compile_config)
            with library:
                model.compile_from_config(compile_config)
            iterations = node.get("iterations", 0)
            if type(iterations) is not int or iterations < 0:
                raise CrossingRefused("an optimizer step count that is not one")
            if not model.optimizer.built:
                model.optimizer.build(model.trainable_variables)
            model.optimizer.iterations.assign(iterations)
        return model


def check_keras_config(config, path: str = "model", named: dict[str, object] | None = None) -> None:
    """Refuse a serialized Keras object that names anything but Keras's own classes and the library
    functions of the allowlist (by entry; or, with ``named``, as a model file names them, by name)."""
    if isinstance(config, dict):
        if "class_name" in config and "module" in config:
            module, name = config.get("module"), config.get("class_name")
            if name == "function" and (module, config.get("registered_name")) in (
                    (ALLOWED_FUNCTION, "function"), ("builtins", "function")):
                known = library_functions() if module == ALLOWED_FUNCTION else (named or {})
                if not (isinstance(config.get("config"), str) and config["config"] in known):
                    raise CrossingRefused(f"its {path} uses the function {str(config.get('config'))[:100]!r}, which "
                                          "is not TensorFlow's or Keras's own: only their functions can be checked")
                return
            if module not in KERAS_MODULES or name in KERAS_REFUSED_CLASSES or config.get("registered_name") not in (
                    None, name):
                raise CrossingRefused(f"its {path} uses {module}.{name}: only Keras's own layers, without code of "
                                      "their own, can be checked")
        for key, value in config.items():
            check_keras_config(value, f"{path}.{key}" if key != "config" else path, named)
    elif isinstance(config, list):
        for item in config:
            check_keras_config(item, path, named)


def check_model_file(path: str) -> dict[str, object]:
    """Check a model file a student saved before Keras reads it: Keras's own layers, and library
    functions by the names Keras saved them under (``tf.nn.softmax`` as ``softmax_v2``), which the
    result maps to the functions; CrossingRefused otherwise."""
    if not zipfile.is_zipfile(path):
        raise CrossingRefused(f"{path} is not a model saved in Keras's .keras format")
    named = functions_by_name()
    with zipfile.ZipFile(path) as archive:
        for member in ("config.json", "compile_config.json"):
            if member in archive.namelist():
                check_keras_config(json.loads(archive.read(member)), path, named)
    return named


def decode(document: str, blobs: list[bytes], name: str = "the answer", context: Context | None = None):
    """The value ``encode`` made, rebuilt from data; CrossingRefused naming ``name`` otherwise."""
    try:
        if len(document) + sum(map(len, blobs)) > MAX_BYTES:
            raise CrossingRefused(f"it is larger than {MAX_BYTES // 2**20} MiB")
        parsed = json.loads(document, parse_constant=lambda constant: math.nan)
        if not isinstance(parsed, dict) or parsed.get("format") != FORMAT:
            raise CrossingRefused("the kernel sent a document of another format")
        return _Decoder(blobs, context or Context()).value(parsed.get("value"))
    except CrossingRefused as refusal:
        raise CrossingRefused(f"{name} cannot be checked: {refusal}") from None
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        raise CrossingRefused(f"{name} cannot be checked: the kernel sent malformed data ({error})") from None


# --------------------------------------------------------------------------------------------
# bytes on the way: a JSON header line, the document, then the blobs


def pack(document: str, blobs: list[bytes]) -> bytes:
    text = document.encode()
    header = json.dumps({"document": len(text), "blobs": [len(blob) for blob in blobs]}).encode()
    return header + b"\n" + text + b"".join(blobs)


def unpack(data: bytes) -> tuple[str, list[bytes]]:
    header, _, rest = data.partition(b"\n")
    try:
        sizes = json.loads(header)
        lengths = [sizes["document"], *sizes["blobs"]]
    except (ValueError, KeyError, TypeError):
        raise CrossingRefused("the kernel sent malformed data") from None
    if not all(type(n) is int and n >= 0 for n in lengths) or sum(lengths) != len(rest) or len(lengths) > MAX_ITEMS:
        raise CrossingRefused("the kernel sent malformed data")
    parts, start = [], 0
    for length in lengths:
        parts.append(rest[start:start + length])
        start += length
    return parts[0].decode(errors="replace"), parts[1:]


# --------------------------------------------------------------------------------------------
# the kernel's answers to the grader: run in the student's kernel, written to a file


def _user_namespace() -> dict:
    try:
        from IPython import get_ipython

        return get_ipython().user_ns
    except Exception:  # noqa: BLE001  not in IPython
        return sys.modules["__main__"].__dict__


def _reply(status: dict, data: bytes = b"") -> bytes:
    return json.dumps(status).encode() + b"\n" + data


def _value_reply(value, name: str) -> bytes:
    try:
        document, blobs = encode(value)
    except CrossingRefused as refusal:
        kind = type(value)
        return _reply({"status": "refused", "message": f"{name} ({kind.__module__}.{kind.__qualname__}) "
                                                         f"cannot be checked: {refusal}"})
    return _reply({"status": "value"}, pack(document, blobs))


_probe_context: Context | None = None


def probe(request: str) -> None:
    """For a student's own check (``make validate``), in the kernel: whether each name, and each
    model file, would cross to the judge as grading sends it; the grader's message for each that
    would not, written as JSON to the file ``out``."""
    global _probe_context
    request = json.loads(request)
    if _probe_context is None:  # models rebuilt once per state, as the judge does
        _probe_context = Context(lambda handle, name: None, frozenset(sys.modules))
    namespace, refusals = _user_namespace(), {}
    for name in request.get("names", []):
        if name not in namespace:
            continue
        status, _, data = _value_reply(namespace[name], name).partition(b"\n")
        message = json.loads(status).get("message")
        if message is None:
            try:
                decode(*unpack(data), name=name, context=_probe_context)
            except CrossingRefused as refusal:
                message = str(refusal)
        if message:
            refusals[name] = message
    for path in request.get("files", []):
        try:
            check_model_file(path)
        except CrossingRefused as refusal:
            refusals[Path(path).name] = str(refusal)
        except (OSError, ValueError, KeyError) as error:
            refusals[Path(path).name] = f"{Path(path).name} cannot be read as a Keras model ({error})"
    with open(request["out"], "w") as file:
        json.dump(refusals, file)


KERNEL_MODULE = "_penguin_crossing"  # what the student's kernel calls this module


def bootstrap_code() -> str:
    """Kernel code that makes this module a module of the kernel's, binding no name of the student's."""
    import inspect

    source = inspect.getsource(sys.modules[__name__])  # also from a zip (the students' course_tools.pyz)
    return (f"(lambda sys, types: (sys.modules.__setitem__({KERNEL_MODULE!r}, types.ModuleType({KERNEL_MODULE!r})), "
            f"exec(compile({source!r}, 'crossing', 'exec'), sys.modules[{KERNEL_MODULE!r}].__dict__)))"
            "(__import__('sys'), __import__('types'))")


def answer(request: str) -> None:
    """Answer one request of the judge's, in the kernel: the value of a name, or the result of
    calling a function the judge holds a handle of with the arguments in file ``args``."""
    request = json.loads(request)
    if request["op"] == "fetch":
        namespace = _user_namespace()
        name = request["name"]
        reply = _value_reply(namespace[name], name) if name in namespace else _reply({"status": "missing"})
    else:
        with open(request["args"], "rb") as file:
            args, kwargs = decode(*unpack(file.read()), name="the arguments")
        function = _functions[request["handle"]]
        try:
            result = function(*args, **kwargs)
        except Exception as error:  # noqa: BLE001  the student's function failed: the test says so
            reply = _reply({"status": "raised", "message": f"{type(error).__name__}: {error}"})
        else:
            reply = _value_reply(result, f"the result of {request.get('name', 'the function')}")
    with open(request["out"], "wb") as file:
        file.write(reply)
