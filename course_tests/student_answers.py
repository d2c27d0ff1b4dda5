"""Cheats, attacks and liars on penguin-classification, which must not get the points they aim at
(test_grading). Its sound answers are the assignment's own (source/penguin-classification/sound_answers.py)."""

from penguin_course.preparing.known_answers import Rewritten, code  # noqa: F401 (used by the entries below)

NB1, NB2, NB3, NB4 = ("1-inspect-dataset.ipynb", "2-count-parameters.ipynb",
                      "3-test-performance.ipynb", "4-improve-results.ipynb")


# notebook -> {description: ({solution cell: code}, tests that must fail)}
CHEATS = {
    NB1: {
        "an object equal to everything": (
            {"n-samples": code("""
                class Anything:
                    def __eq__(self, other):
                        return True
                n_samples = Anything()
            """)},
            {"test-n-samples-type", "test-n-samples"}),
    },
    NB2: {
        "an int that claims to equal everything": (
            {"n-params": code("""
                class Sly(int):
                    def __eq__(self, other):
                        return True
                    __hash__ = int.__hash__
                n_params = Sly(1)
            """)},
            {"test-n-params"}),
        "a model that lies about its parameter count": (
            {"build-model": code("""
                inputs = keras.Input(shape=(4,))
                hidden_layer = keras.layers.Dense(10, activation="relu", use_bias=False)(inputs)
                output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
                model = keras.Model(inputs=inputs, outputs=output_layer)
                keras.Model.count_params = lambda self: 83
            """)},
            {"test-model-parameters"}),
    },
    NB3: {
        "a float that claims to equal everything": (
            {"accuracy": code("""
                class Sly(float):
                    __eq__ = __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: True
                    __sub__ = __rsub__ = lambda self, other: Sly(0.0)
                    __abs__ = lambda self: Sly(0.0)
                    __hash__ = float.__hash__
                test_accuracy = Sly(0.0)
            """)},
            {"test-accuracy"}),
    },
    NB4: {
        "the true species looked up by the row index": (
            {"improve": code("""
                improved_model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation='softmax')])
                improved_model.compile(optimizer='adam', loss='categorical_crossentropy')
                improved_model.fit(X_train, y_train, epochs=1, verbose=0)

                def predict_species(features):
                    return list(penguins_filtered.loc[features.index, 'species'])
            """)},
            {"test-accuracy-threshold", "test-predict-species-generalises"}),
    },
}

# Code in the student's kernel that would change its tests' verdicts if they ran there, each beside a
# known wrong answer (the tests that must fail are that answer's): notebook -> {description: (answers,
# must fail, the test it would have passed in the kernel)}. While grading, the tests run in the judge.
N_PARAMS_WRONG = "n_params = 4 * 10 + 10 * 3\n"
KERNEL_ATTACKS = {
    NB2: {
        "an input transformer that blanks the test cells": (
            {"n-params": N_PARAMS_WRONG + code("""
                def _skip_tests(lines):
                    return ["pass\\n"] if any("assert" in line for line in lines) else lines
                get_ipython().input_transformers_post.append(_skip_tests)
            """)}, {"test-n-params"}, "test-n-params"),
        "a wrapped run_cell that blanks the test cells": (
            {"n-params": N_PARAMS_WRONG + code("""
                _shell = get_ipython()
                _run_cell, _run_cell_async = _shell.run_cell, _shell.run_cell_async
                def _blank(cell):
                    return "pass" if "assert" in cell else cell
                _shell.run_cell = lambda raw_cell, *args, **kwargs: _run_cell(_blank(raw_cell), *args, **kwargs)
                async def _blank_async(raw_cell, *args, **kwargs):
                    return await _run_cell_async(_blank(raw_cell), *args, **kwargs)
                _shell.run_cell_async = _blank_async
            """)}, {"test-n-params"}, "test-n-params"),
        "a pre_run_cell event that puts the right answer in place before each test": (
            {"n-params": N_PARAMS_WRONG + code("""
                def _before(info):
                    if "assert" in (info.raw_cell or ""):
                        get_ipython().user_ns["n_params"] = 83
                get_ipython().events.register("pre_run_cell", _before)
            """)}, {"test-n-params"}, "test-n-params"),
        "a showtraceback that hides failures": (
            {"n-params": N_PARAMS_WRONG + "get_ipython().showtraceback = lambda *args, **kwargs: None"},
            {"test-n-params"}, "test-n-params"),
        "a patched function of the tests' helper module": (
            {"n-params": N_PARAMS_WRONG + code("""
                import penguin_checks
                penguin_checks.whole_number = lambda value, name: 83
            """)}, {"test-n-params"}, "test-n-params"),
        "patched operator, math and builtins": (
            {"n-params": N_PARAMS_WRONG + code("""
                import builtins, math, operator
                operator.index = lambda value: 83
                math.isclose = lambda *args, **kwargs: True
                builtins.AssertionError = type("AssertionError", (Exception,), {})
            """)}, {"test-n-params"}, "test-n-params"),
        "a trace function that rewrites the answer while a test runs": (
            {"n-params": N_PARAMS_WRONG + code("""
                import linecache, sys
                def _tracer(frame, event, arg):
                    # a notebook cell (IPython names their files ipykernel_...) that checks: a test
                    # (the word is built here so that this cell's own text does not contain it)
                    filename = frame.f_code.co_filename
                    if event == "call" and "ipykernel_" in filename and "ass" + "ert" in "".join(linecache.getlines(filename)):
                        frame.f_globals["n_params"] = 83
                sys.settrace(_tracer)
            """)}, {"test-n-params"}, "test-n-params"),
    },
    NB1: {
        "patched pandas.testing and numpy.testing": (
            {"load-penguins": code("""
                import numpy, pandas
                penguins = sns.load_dataset('penguins')
                penguins.loc[0, "bill_length_mm"] = 50.0
                pandas.testing.assert_frame_equal = lambda *args, **kwargs: None
                numpy.testing.assert_array_equal = lambda *args, **kwargs: None
            """)}, {"test-penguins-content"}, "test-penguins-content"),
    },
}

# Answers that would lie when compared: each crosses to the judge as plain data or is refused.
LIARS = {
    NB1: {
        "a str subclass equal to everything": (
            {"species-names": code("""
                class Sly(str):
                    __eq__ = lambda self, other: True
                    __hash__ = str.__hash__
                    __lt__ = lambda self, other: False
                species_names = [Sly("Adelie"), Sly("Adelie"), Sly("Adelie")]
            """)}, {"test-species-names"}),
        "an array subclass that iterates over the right answer": (
            {"species-names": code("""
                import numpy as np
                class Sly(np.ndarray):
                    def __iter__(self):
                        return iter(["Adelie", "Chinstrap", "Gentoo"])
                    def __len__(self):
                        return 3
                species_names = np.array(["Adelie", "Adelie", "Adelie", "Adelie"]).view(Sly)
            """)}, {"test-species-names"}),
    },
    NB2: {
        "an object whose __index__ says 83": (
            {"n-params": code("""
                class Count:
                    __index__ = __int__ = lambda self: 83
                    __eq__ = lambda self, other: True
                    __gt__ = lambda self, other: True
                n_params = Count()
            """)}, {"test-n-params-type", "test-n-params"}),
        "a function of the student's named like Keras's relu": (
            {"build-model": code("""
                def relu(x):
                    return x
                inputs = keras.Input(shape=(4,))
                hidden_layer = keras.layers.Dense(10, activation=relu)(inputs)
                output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
                model = keras.Model(inputs=inputs, outputs=output_layer)
            """)}, {"test-model-type", "test-model-layers", "test-model-parameters"}),
        "a Keras model subclass with a call of its own": (
            {"build-model": code("""
                class Lesson(keras.Model):
                    def __init__(self):
                        super().__init__()
                        self.hidden = keras.layers.Dense(10, activation="relu")
                        self.out = keras.layers.Dense(3, activation="softmax")
                    def call(self, inputs):
                        return self.out(self.hidden(inputs))
                model = Lesson()
                model.build((None, 4))
            """)}, {"test-model-type", "test-model-layers", "test-model-parameters"}),
    },
    NB3: {
        "an object whose __float__ says the right accuracy": (
            {"accuracy": code("""
                class Accuracy:
                    def __float__(self):
                        return float((predicted_species.values == y_test.idxmax(axis="columns").values).mean())
                test_accuracy = Accuracy()
            """)}, {"test-accuracy-type", "test-accuracy"}),
        "a DataFrame subclass": (
            {"filter": code("""
                import pandas as pd
                class Frame(pd.DataFrame):
                    def __eq__(self, other):
                        return True
                penguins_filtered = Frame(penguins.drop(columns=['island', 'sex']).dropna())
            """)}, {"test-filtered-type", "test-filtered"}),
    },
}
