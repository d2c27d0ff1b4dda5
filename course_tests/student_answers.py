"""Other students' answers: sound solutions written differently from the instructor's, which must
get full marks, and cheats, which must not get the points they aim at."""

from textwrap import dedent

NB1, NB2, NB3, NB4 = ("1-inspect-dataset.ipynb", "2-count-parameters.ipynb",
                      "3-test-performance.ipynb", "4-improve-results.ipynb")


def code(text: str) -> str:
    return dedent(text).strip()


# notebook -> {description: {solution cell: code}}; cells left out keep the instructor's solution,
# and an empty string is a cell the student emptied (having written everything elsewhere).
SOUND = {
    NB1: {
        "NumPy values, and names rebound afterwards": {
            "load-penguins": "penguins = sns.load_dataset('penguins')",
            "feature-names": "feature_names = penguins.columns.tolist()",
            "classes-are-strings": "import pandas as pd\nclasses_are_strings = pd.api.types.is_string_dtype(penguins['species'])",
            "species-names": "species_names = penguins['species'].unique()",
            # a NumPy integer, and the usual module names rebound: the tests import their own
            "n-samples": "n_samples = penguins['species'].count()\npd = np = checks = None",
        },
    },
    NB2: {
        "Sequential model, NumPy integers": {
            "build-model": code("""
                model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation='relu'),
                                          keras.layers.Dense(3, activation='softmax')])
            """),
            "n-params": "n_params = model.count_params()",
            "count-parameters": code("""
                import numpy as np
                count_parameters = lambda n_inputs, n_hidden, n_outputs: np.int64((n_inputs + 1) * n_hidden + (n_hidden + 1) * n_outputs)
            """),
            "extra-params": "extra_params_per_neuron = 4 + 1 + 3",
        },
    },
    NB3: {
        "NumPy arrays, OneHotEncoder, Sequential, all in one cell": {
            "filter": code("""
                import numpy as np
                import pandas as pd
                from sklearn.metrics import accuracy_score, confusion_matrix
                from sklearn.model_selection import train_test_split
                from sklearn.preprocessing import OneHotEncoder

                penguins_filtered = penguins.drop(columns=['island', 'sex']).dropna()
                encoder = OneHotEncoder(sparse_output=False)
                target = encoder.fit_transform(penguins_filtered[['species']])
                penguin_features = penguins_filtered.drop(columns=['species']).to_numpy()
                X_train, X_test, y_train, y_test = train_test_split(penguin_features, target, test_size=0.2,
                                                                    random_state=0, shuffle=True, stratify=target)
                model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation='relu'),
                                          keras.layers.Dense(3, activation='softmax')])
                model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
                history = model.fit(X_train, y_train, epochs=100, batch_size=16, verbose=0)
                species = encoder.categories_[0]
                predicted_species = species[model.predict(X_test, verbose=0).argmax(axis=1)]
                true_species = species[y_test.argmax(axis=1)]
                confusion_df = pd.DataFrame(confusion_matrix(true_species, predicted_species, labels=species),
                                            index=species, columns=species)
                test_accuracy = accuracy_score(true_species, predicted_species)
                model.save('my_first_model.keras')
            """),
            "features-target": "", "split": "", "build-compile": "", "train": "", "predict": "",
            "confusion": "", "accuracy": "", "save": "",
        },
        # Reordering the target's columns would change the split that stratify=target makes.
        "feature columns in another order, an int one-hot target": {
            "features-target": code("""
                penguin_features = penguins_filtered[['body_mass_g', 'flipper_length_mm', 'bill_depth_mm', 'bill_length_mm']]
                target = pd.get_dummies(penguins_filtered['species'], dtype=int)
            """),
        },
    },
    NB4: {
        "a Normalization layer instead of a scaler, NumPy output": {
            "improve": code("""
                import numpy as np

                normalizer = keras.layers.Normalization()
                normalizer.adapt(X_train.to_numpy())
                improved_model = keras.Sequential([keras.Input(shape=(4,)), normalizer,
                                                   keras.layers.Dense(16, activation='relu'),
                                                   keras.layers.Dense(3, activation='softmax')])
                improved_model.compile(optimizer=keras.optimizers.Adam(0.01), loss='categorical_crossentropy')
                improved_model.fit(X_train.to_numpy(), y_train.to_numpy(dtype=float), epochs=60, verbose=0)
                species = y_train.columns.to_numpy()

                def predict_species(features):
                    return species[improved_model.predict(features[X_train.columns].to_numpy(), verbose=0).argmax(axis=1)]
            """),
        },
    },
}

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
