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
