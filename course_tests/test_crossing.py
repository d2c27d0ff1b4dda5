"""What crosses from a student's kernel to the judge is data, rebuilt without running any of
the student's code; anything else is refused with the variable's name and type."""

import io
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from penguin_course.isolation import crossing
from penguin_course.course.paths import DATASET


def round_trip(value):
    return crossing.decode(*crossing.encode(value))


@pytest.mark.parametrize("value", [None, True, 0, -3, 2**100, 1.5, float("inf"), "pingu", [1, "a", None],
                                   (1, (2.5, "b")), {"a": [1, 2], 3: None, ("x", 1): 2.0}, [], {}])
def test_builtins_cross_as_they_are(value):
    back = round_trip(value)
    assert back == value and type(back) is type(value)


def test_nan_crosses():
    assert np.isnan(round_trip(float("nan")))


@pytest.mark.parametrize("value", [np.arange(12, dtype=np.int32).reshape(3, 4), np.linspace(0, 1, 5),
                                   np.array([True, False]), np.array(["a", "bc"]), np.float32(2.5), np.int64(7),
                                   np.array(["Adelie", None, float("nan")], dtype=object)])
def test_numpy_values_cross_with_their_dtype(value):
    back = round_trip(value)
    assert type(back) is type(value) and back.dtype == value.dtype and back.shape == value.shape
    assert np.asarray(pd.isna(back)).tolist() == np.asarray(pd.isna(value)).tolist()
    assert [x for x in np.ravel(back) if not pd.isna(x)] == [x for x in np.ravel(value) if not pd.isna(x)]


def test_the_penguins_cross_as_pandas_made_them():
    penguins = pd.read_csv(DATASET)
    pd.testing.assert_frame_equal(round_trip(penguins), penguins)
    pd.testing.assert_series_equal(round_trip(penguins["species"]), penguins["species"])
    pd.testing.assert_index_equal(round_trip(penguins.columns), penguins.columns)
    one_hot = pd.get_dummies(penguins["species"])
    pd.testing.assert_frame_equal(round_trip(one_hot), one_hot)
    subset = penguins.dropna().iloc[::7]
    pd.testing.assert_frame_equal(round_trip(subset), subset)  # an index of its own


class LiesAboutEquality:
    def __eq__(self, other):
        return True


class Huge(int):
    def __eq__(self, other):
        return True


class Array(np.ndarray):
    pass


class Frame(pd.DataFrame):
    pass


@pytest.mark.parametrize("value, named", [
    (LiesAboutEquality(), "LiesAboutEquality"), (Frame({"a": [1]}), "Frame"),
    (np.array([LiesAboutEquality()], dtype=object), "objects other than strings and numbers"),
    ([1, [2, {"a": LiesAboutEquality()}]], "LiesAboutEquality"),
])
def test_values_that_are_not_data_are_refused_by_type(value, named):
    with pytest.raises(crossing.CrossingRefused, match=named):
        crossing.encode(value)


@pytest.mark.parametrize("value, plain", [
    (Huge(3), 3), (type("Ratio", (float,), {"__eq__": lambda self, other: True})(0.5), 0.5),
    (type("Text", (str,), {"__eq__": lambda self, other: True})("x"), "x"),
])
def test_subclasses_of_numbers_and_strings_cross_as_their_plain_value(value, plain):
    back = round_trip(value)
    assert type(back) is type(plain) and back == plain and not back == "something else"


def test_an_array_subclass_crosses_as_a_plain_array():
    back = round_trip(np.arange(3).view(Array))
    assert type(back) is np.ndarray and back.tolist() == [0, 1, 2]


def test_a_function_crosses_as_a_handle_only_where_a_caller_is_given():
    def count(n):
        return n

    document, blobs = crossing.encode(count)
    assert "return n" not in document and not blobs
    with pytest.raises(crossing.CrossingRefused, match="a function, where only data is expected"):
        crossing.decode(document, blobs, "count")
    calls = []
    context = crossing.Context(function=lambda handle, name: calls.append((handle, name)) or "proxy")
    assert crossing.decode(document, blobs, "count", context) == "proxy" and calls[0][1] == "count"


def test_a_module_crosses_by_name_only_if_the_exercises_use_it():
    import os
    import pandas

    document, blobs = crossing.encode(pandas)
    assert crossing.decode(document, blobs, "pd", crossing.Context(modules=frozenset({"pandas"}))) is pandas
    with pytest.raises(crossing.CrossingRefused, match="'os', which the exercises do not use"):
        crossing.decode(*crossing.encode(os), "os", crossing.Context(modules=frozenset({"pandas"})))


def test_pandas_extension_arrays_cross():
    categories = pd.Series(["Adelie", "Gentoo", "Adelie"], dtype="category").unique()
    back = round_trip(categories)
    assert list(back) == ["Adelie", "Gentoo"] and str(back.dtype) == "category"


def test_packed_bytes_unpack_to_the_same_document_and_refuse_a_bad_header():
    document, blobs = crossing.encode(np.arange(5))
    assert crossing.unpack(crossing.pack(document, blobs)) == (document, blobs)
    with pytest.raises(crossing.CrossingRefused, match="malformed"):
        crossing.unpack(b'{"document": 5, "blobs": [10**9]}\n' + document.encode())


def test_too_much_data_is_refused(monkeypatch):
    monkeypatch.setattr(crossing, "MAX_BYTES", 1000)
    with pytest.raises(crossing.CrossingRefused, match="larger than"):
        crossing.encode(np.zeros(1000))
    document, blobs = crossing.encode([1] * 10)
    with pytest.raises(crossing.CrossingRefused, match="n_samples cannot be checked: it is larger"):
        crossing.decode(document + " " * 1000, blobs, "n_samples")


class Alarm:
    """Unpickling it would run code: it must never happen in the judge."""

    def __reduce__(self):
        return (print, ("unpickled!",))


def forged(value, blobs):
    return json.dumps({"format": crossing.FORMAT, "value": value}), blobs


def pickled_array() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array([Alarm()], dtype=object), allow_pickle=True)
    return buffer.getvalue()


@pytest.mark.parametrize("value, blobs, problem", [
    ({"t": "array", "blob": 0}, [pickled_array()], "not plain data"),
    ({"t": "array", "blob": 3}, [], "did not send"),
    ({"t": "pickle", "v": pickle.dumps(1).hex()}, [], "unknown kind"),
    ({"t": "json", "v": {"a": 1}}, [], "unknown kind"),
    ({"t": "objects", "shape": [1], "v": [{"t": "list", "v": []}]}, [], "objects other than"),
    ({"t": "dict", "v": [[{"t": "list", "v": []}, {"t": "json", "v": None}]]}, [], "key"),
    ({"t": "int", "v": "1" * 5000}, [], "unknown kind"),
    ("just text", [], "not a value"),
])
def test_forged_documents_are_refused_and_nothing_runs(value, blobs, problem, capsys):
    with pytest.raises(crossing.CrossingRefused, match=problem):
        crossing.decode(*forged(value, blobs), name="answer")
    assert "unpickled" not in capsys.readouterr().out


def test_deep_nesting_is_refused():
    node = {"t": "json", "v": None}
    for _ in range(100):
        node = {"t": "list", "v": [node]}
    with pytest.raises(crossing.CrossingRefused, match="nested too deeply"):
        crossing.decode(*forged(node, []))


@pytest.fixture(scope="module")
def keras():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras

    keras.utils.set_random_seed(0)
    return keras


def lesson_model(keras):
    inputs = keras.Input(shape=(4,))
    hidden = keras.layers.Dense(10, activation="relu")(inputs)
    outputs = keras.layers.Dense(3, activation="softmax")(hidden)
    return keras.Model(inputs=inputs, outputs=outputs)


@pytest.mark.slow
def test_a_trained_keras_model_crosses_with_weights_and_training_state(keras):
    model = lesson_model(keras)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    features = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    labels = np.eye(3, dtype="float32")[np.arange(64) % 3]
    model.fit(features, labels, epochs=3, batch_size=16, verbose=0)
    back = round_trip(model)
    assert type(back) is type(model) and back.count_params() == 83
    assert [layer.__class__.__name__ for layer in back.layers] == ["InputLayer", "Dense", "Dense"]
    for mine, theirs in zip(back.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    assert int(back.optimizer.iterations) == int(model.optimizer.iterations) == 12
    assert back.loss == "categorical_crossentropy"
    np.testing.assert_allclose(back.predict(features, verbose=0), model.predict(features, verbose=0), rtol=1e-6)


@pytest.mark.slow
def test_a_sequential_model_that_was_never_compiled_crosses(keras):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    back = round_trip(model)
    assert isinstance(back, keras.Sequential) and back.count_params() == 83 and not back.compiled


@pytest.mark.slow
def test_models_with_code_of_their_own_are_refused(keras):
    class Doubling(keras.layers.Layer):
        def call(self, inputs):
            return 2 * inputs

    class Cheating(keras.Model):
        def call(self, inputs):
            return inputs

    def mine(x):
        return x

    inputs = keras.Input(shape=(4,))
    with_lambda = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    with_layer = keras.Model(inputs, Doubling()(inputs))
    with_activation = keras.Model(inputs, keras.layers.Dense(3, activation=mine)(inputs))
    cheating = Cheating()
    cheating(np.zeros((1, 4)))
    for model in (with_lambda, with_layer, with_activation, cheating):
        try:
            document, blobs = crossing.encode(model)
        except crossing.CrossingRefused:
            continue
        with pytest.raises(crossing.CrossingRefused, match="only Keras's own layers, without code of their own"):
            crossing.decode(document, blobs, "model")


def test_a_function_entry_outside_the_allowlist_is_refused():
    for entry in ({"module": crossing.ALLOWED_FUNCTION, "class_name": "function", "config": "os.system",
                   "registered_name": "function"},
                  {"module": "builtins", "class_name": "function", "config": "eval", "registered_name": "function"}):
        layer = {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                 "config": {"name": "dense", "units": 3, "activation": entry}}
        with pytest.raises(crossing.CrossingRefused, match="not TensorFlow's or Keras's own"):
            crossing.check_keras_config({"module": "keras", "class_name": "Sequential", "registered_name": None,
                                         "config": {"layers": [layer]}})


def tensorflow_style_model(keras):
    import tensorflow as tf

    model = tf.keras.Sequential()
    model.add(tf.keras.layers.Dense(10, activation=tf.nn.relu, input_shape=(4,)))
    model.add(tf.keras.layers.Dense(3, activation=tf.nn.softmax))
    model.compile(optimizer=tf.keras.optimizers.Adam(), loss=tf.keras.losses.categorical_crossentropy,
                  metrics=[tf.keras.metrics.categorical_accuracy, "accuracy"])
    return model


@pytest.mark.slow
def test_models_using_library_functions_cross_with_those_very_functions(keras):
    import tensorflow as tf

    features = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    labels = np.eye(3, dtype="float32")[np.arange(32) % 3]
    model = tensorflow_style_model(keras)
    model.fit(features, labels, epochs=2, verbose=0)
    back = round_trip(model)
    assert back.layers[0].activation is tf.nn.relu and back.layers[1].activation is tf.nn.softmax
    assert back.loss is keras.losses.categorical_crossentropy
    np.testing.assert_allclose(back.predict(features, verbose=0), model.predict(features, verbose=0), rtol=1e-6)
    inputs = keras.Input(shape=(4,))
    hidden = keras.layers.Dense(10, activation=keras.layers.ReLU())(inputs)
    layered = keras.Model(inputs, keras.layers.Activation(keras.ops.softmax)(keras.layers.Dense(3)(hidden)))
    back = round_trip(layered)
    assert back.layers[-1].activation is keras.ops.softmax
    np.testing.assert_allclose(back.predict(features, verbose=0), layered.predict(features, verbose=0), rtol=1e-6)


@pytest.mark.slow
def test_a_function_is_found_by_identity_never_by_its_name(keras):
    def relu(x):  # a student's function that Keras would save as "relu"
        return x * 0

    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation=relu)])
    with pytest.raises(crossing.CrossingRefused, match="layer dense.*'s activation is the function 'relu'"):
        crossing.encode(model)


@pytest.mark.slow
def test_a_saved_model_names_library_functions_that_the_judge_finds(keras, tmp_path):
    import tensorflow as tf

    model = tensorflow_style_model(keras)
    model.save(tmp_path / "tf.keras")
    named = crossing.check_model_file(str(tmp_path / "tf.keras"))
    with keras.saving.custom_object_scope(named):
        loaded = keras.saving.load_model(tmp_path / "tf.keras", safe_mode=True)
    assert loaded.layers[1].activation is tf.nn.softmax  # saved as softmax_v2, which Keras cannot load alone

    def mine(x):
        return x

    keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation=mine)]).save(tmp_path / "mine.keras")
    with pytest.raises(crossing.CrossingRefused, match="the function 'mine'"):
        crossing.check_model_file(str(tmp_path / "mine.keras"))


@pytest.mark.slow
def test_numbers_keras_computed_cross_as_numpy_values(keras):
    accuracy = keras.ops.mean(keras.ops.convert_to_tensor([1.0, 0.0, 1.0]))
    back = round_trip(accuracy)
    assert isinstance(back, np.ndarray) and back.shape == () and back.dtype == np.float32
