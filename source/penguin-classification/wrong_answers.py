"""Known wrong answers of penguin-classification: one for every autograded test, and the tests it
must fail (penguin_course.preparing.known_answers says how they are used).

Each answer replaces the instructor's solution in one solution cell, and exactly the tests in
its ``fails`` may fail; every other test of the notebook must still pass. When you add or change
a test in this folder's notebooks, add or change its entry here. This file is the instructor's:
it is never released (nbgrader_config.py ignores it).
"""

from textwrap import dedent

from penguin_course.preparing.known_answers import wrong

NB1, NB2, NB3, NB4 = (
    "1-inspect-dataset.ipynb",
    "2-count-parameters.ipynb",
    "3-test-performance.ipynb",
    "4-improve-results.ipynb",
)

IMPROVED_MODEL = """
from sklearn.preprocessing import StandardScaler

scaler = StandardScaler().fit(X_train)
inputs = keras.Input(shape=(4,))
hidden_layer = keras.layers.Dense(10, activation="relu")(inputs)
output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
improved_model = keras.Model(inputs=inputs, outputs=output_layer)
improved_model.compile(optimizer="adam", loss="categorical_crossentropy")
improved_model.fit(scaler.transform(X_train), y_train, epochs=100, verbose=0)
"""

PREDICT_SPECIES = """
def predict_species(features, model=improved_model):
    probabilities = model.predict(scaler.transform(features[X_train.columns]), verbose=0)
    return list(target.columns[probabilities.argmax(axis=1)])
"""

# Per notebook, keyed by the test each answer is meant to fail (grade ids are unique within a
# notebook only: 2-count-parameters and 3-test-performance both have a test-model-type).
NB1_WRONG = {
    "test-penguins-type": wrong(NB1, "load-penguins", "penguins = sns.load_dataset('penguins').to_dict('series')",
                                "test-penguins-type", "test-penguins-content", "test-feature-names-type",
                                "test-feature-names", "test-n-samples"),
    "test-penguins-content": wrong(NB1, "load-penguins", "penguins = sns.load_dataset('penguins').dropna()",
                                   "test-penguins-content", "test-n-samples"),
    "test-feature-names-type": wrong(NB1, "feature-names", "feature_names = ', '.join(penguins.columns)",
                                     "test-feature-names-type", "test-feature-names"),
    "test-feature-names": wrong(NB1, "feature-names", "feature_names = sorted(penguins.columns)",
                                "test-feature-names"),
    "test-classes-are-strings-type": wrong(NB1, "classes-are-strings", "classes_are_strings = 'yes'",
                                           "test-classes-are-strings-type", "test-classes-are-strings"),
    "test-classes-are-strings": wrong(NB1, "classes-are-strings", "classes_are_strings = False",
                                      "test-classes-are-strings"),
    "test-species-names-type": wrong(NB1, "species-names", "species_names = ', '.join(penguins['species'].unique())",
                                     "test-species-names-type", "test-species-names"),
    "test-species-names": wrong(NB1, "species-names", "species_names = list(penguins['species'])",
                                "test-species-names"),
    "test-n-samples-type": wrong(NB1, "n-samples", "n_samples = str(len(penguins))",
                                 "test-n-samples-type", "test-n-samples"),
    "test-n-samples": wrong(NB1, "n-samples", "n_samples = penguins.size", "test-n-samples"),
}

NB2_WRONG = {
    "test-model-type": wrong(NB2, "build-model", """
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation="relu"),
                                  keras.layers.Dense(3, activation="softmax")]).layers
        model.summary = lambda: None
        """, "test-model-type", "test-model-layers", "test-model-parameters"),
    "test-model-layers": wrong(NB2, "build-model", """
        inputs = keras.Input(shape=(4,))
        hidden_layer = keras.layers.Dense(10, activation="sigmoid")(inputs)
        output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
        model = keras.Model(inputs=inputs, outputs=output_layer)
        """, "test-model-layers"),
    "test-model-parameters": wrong(NB2, "build-model", """
        inputs = keras.Input(shape=(4,))
        hidden_layer = keras.layers.Dense(10, activation="relu", use_bias=False)(inputs)
        output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
        model = keras.Model(inputs=inputs, outputs=output_layer)
        """, "test-model-parameters"),
    "test-n-params-type": wrong(NB2, "n-params", "n_params = '83'", "test-n-params-type", "test-n-params"),
    "test-n-params": wrong(NB2, "n-params", "n_params = 4 * 10 + 10 * 3", "test-n-params"),
    "test-count-parameters-type": wrong(NB2, "count-parameters", "count_parameters = None",
                                        "test-count-parameters-type", "test-count-parameters-lesson",
                                        "test-count-parameters-general", "test-extra-params-type",
                                        "test-extra-params"),
    "test-count-parameters-lesson": wrong(NB2, "count-parameters", """
        def count_parameters(n_inputs, n_hidden, n_outputs):
            return n_inputs * n_hidden + n_hidden + n_hidden * n_outputs
        """, "test-count-parameters-lesson", "test-count-parameters-general"),
    "test-count-parameters-general": wrong(NB2, "count-parameters", """
        def count_parameters(n_inputs, n_hidden, n_outputs):
            return 83
        """, "test-count-parameters-general", "test-extra-params-type", "test-extra-params"),
    "test-extra-params-type": wrong(NB2, "extra-params", "extra_params_per_neuron = 'eight'",
                                    "test-extra-params-type", "test-extra-params"),
    "test-extra-params": wrong(NB2, "extra-params", "extra_params_per_neuron = 4 + 1", "test-extra-params"),
}

NB3_WRONG = {
    "test-filtered-type": wrong(NB3, "filter", "penguins_filtered = penguins.drop(columns=['island', 'sex']).dropna().to_dict()",
                                "test-filtered-type", "test-filtered", "test-features-target-type", "test-features",
                                "test-target", "test-split-type", "test-split-sizes", "test-split-exact",
                                "test-model-type", "test-model-architecture", "test-model-compiled",
                                "test-model-trained", "test-predicted-species-type", "test-predicted-species",
                                "test-confusion", "test-accuracy-type", "test-accuracy", "test-saved-model"),
    "test-filtered": wrong(NB3, "filter", "penguins_filtered = penguins.dropna().drop(columns=['island', 'sex'])",
                           "test-filtered", "test-features", "test-target", "test-split-sizes", "test-split-exact",
                           "test-predicted-species", "test-confusion", "test-accuracy"),
    "test-features-target-type": wrong(NB3, "features-target", """
        penguin_features = penguins_filtered.drop(columns=['species'])
        target = pd.get_dummies(penguins_filtered['species']).to_dict()
        """, "test-features-target-type", "test-target", "test-split-type", "test-split-sizes",
        "test-split-exact", "test-model-type", "test-model-architecture", "test-model-compiled",
        "test-model-trained", "test-predicted-species-type", "test-predicted-species", "test-confusion",
        "test-accuracy-type", "test-accuracy", "test-saved-model"),
    "test-features": wrong(NB3, "features-target", """
        penguin_features = penguins_filtered.drop(columns=['species']) / 10
        target = pd.get_dummies(penguins_filtered['species'])
        """, "test-features", "test-split-exact"),
    "test-target": wrong(NB3, "features-target", """
        penguin_features = penguins_filtered.drop(columns=['species'])
        target = pd.get_dummies(penguins_filtered['species']).astype(int) * 2
        """, "test-target", "test-split-exact", "test-predicted-species", "test-confusion", "test-accuracy"),
    "test-split-type": wrong(NB3, "split", """
        X_train, X_test, y_train, y_test = train_test_split(penguin_features, target, test_size=0.2,
                                                            random_state=0, shuffle=True, stratify=target)
        y_test = y_test.values.tolist()
        """, "test-split-type", "test-split-sizes", "test-split-exact", "test-confusion", "test-accuracy-type",
        "test-accuracy"),
    "test-split-sizes": wrong(NB3, "split", """
        X_train, X_test, y_train, y_test = train_test_split(penguin_features, target, test_size=0.3,
                                                            random_state=0, shuffle=True, stratify=target)
        """, "test-split-sizes", "test-split-exact", "test-predicted-species", "test-confusion", "test-accuracy"),
    "test-split-exact": wrong(NB3, "split", """
        X_train, X_test, y_train, y_test = train_test_split(penguin_features, target, test_size=0.2,
                                                            random_state=1, shuffle=True, stratify=target)
        """, "test-split-exact", "test-predicted-species", "test-confusion", "test-accuracy"),
    "test-model-type": wrong(NB3, "build-compile", "model = None",
                             "test-model-type", "test-model-architecture", "test-model-compiled",
                             "test-model-trained", "test-predicted-species-type", "test-predicted-species",
                             "test-confusion", "test-accuracy-type", "test-accuracy", "test-saved-model"),
    "test-model-architecture": wrong(NB3, "build-compile", """
        inputs = keras.Input(shape=(X_train.shape[1],))
        hidden_layer = keras.layers.Dense(20, activation="relu")(inputs)
        output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
        model = keras.Model(inputs=inputs, outputs=output_layer)
        model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.CategoricalCrossentropy())
        """, "test-model-architecture"),
    "test-model-compiled": wrong(NB3, "build-compile", """
        inputs = keras.Input(shape=(X_train.shape[1],))
        hidden_layer = keras.layers.Dense(10, activation="relu")(inputs)
        output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
        model = keras.Model(inputs=inputs, outputs=output_layer)
        model.compile(optimizer="sgd", loss="mean_squared_error")
        """, "test-model-compiled"),
    "test-model-trained": wrong(NB3, "train", "history = model.fit(X_train, y_train, epochs=10, verbose=0)",
                                "test-model-trained"),
    "test-predicted-species-type": wrong(NB3, "predict", """
        y_pred = model.predict(X_test, verbose=0)
        predicted_species = y_pred.argmax(axis=1)
        """, "test-predicted-species-type", "test-predicted-species", "test-confusion", "test-accuracy-type",
        "test-accuracy"),
    "test-predicted-species": wrong(NB3, "predict", """
        y_pred = model.predict(X_test, verbose=0)
        prediction = pd.DataFrame(y_pred, columns=target.columns)
        predicted_species = prediction.idxmin(axis="columns")
        """, "test-predicted-species", "test-confusion", "test-accuracy"),
    "test-confusion": wrong(NB3, "confusion", """
        true_species = y_test.idxmax(axis="columns")
        matrix = confusion_matrix(true_species, predicted_species, labels=target.columns)
        confusion_df = pd.DataFrame(matrix.T, index=target.columns, columns=target.columns)
        """, "test-confusion"),
    "test-accuracy-type": wrong(NB3, "accuracy", "test_accuracy = f'{(predicted_species.values == true_species.values).mean():.0%}'",
                                "test-accuracy-type", "test-accuracy"),
    "test-accuracy": wrong(NB3, "accuracy", "test_accuracy = 1 - float((predicted_species.values == true_species.values).mean())",
                           "test-accuracy"),
    "test-saved-model": wrong(NB3, "save", "keras.models.clone_model(model).save('my_first_model.keras')",
                              "test-saved-model"),
}

NB4_WRONG = {
    "test-improved-model-type": wrong(NB4, "improve", IMPROVED_MODEL + "\npredict_species = 'Gentoo'",
                                      "test-improved-model-type", "test-predict-species-output",
                                      "test-accuracy-threshold", "test-predict-species-generalises"),
    "test-predict-species-output": wrong(NB4, "improve", IMPROVED_MODEL + dedent("""
        def predict_species(features):
            return improved_model.predict(scaler.transform(features[X_train.columns]), verbose=0).argmax(axis=1)
        """), "test-predict-species-output", "test-accuracy-threshold", "test-predict-species-generalises"),
    "test-improved-model-trained": wrong(NB4, "improve", IMPROVED_MODEL + PREDICT_SPECIES + dedent("""
        improved_model = keras.models.clone_model(improved_model)
        """), "test-improved-model-trained"),
    # The lesson's first model: unscaled features, 100 epochs.
    "test-accuracy-threshold": wrong(NB4, "improve", """
        inputs = keras.Input(shape=(4,))
        hidden_layer = keras.layers.Dense(10, activation="relu")(inputs)
        output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
        improved_model = keras.Model(inputs=inputs, outputs=output_layer)
        improved_model.compile(optimizer="adam", loss="categorical_crossentropy")
        improved_model.fit(X_train, y_train, epochs=100, verbose=0)

        def predict_species(features):
            probabilities = improved_model.predict(features[X_train.columns], verbose=0)
            return list(target.columns[probabilities.argmax(axis=1)])
        """, "test-accuracy-threshold", "test-predict-species-generalises"),
    # A cheat: look the answers up in the dataset, which holds the test penguins too.
    "test-predict-species-generalises": wrong(NB4, "improve", IMPROVED_MODEL + dedent("""
        known = {tuple(row[X_train.columns]): row['species'] for _, row in penguins_filtered.iterrows()}

        def predict_species(features):
            return [known.get(tuple(row), 'Adelie') for row in features[X_train.columns].itertuples(index=False)]
        """), "test-predict-species-generalises"),
}

# A known wrong answer for every test: (notebook, grade id) -> the answer.
WRONG_ANSWERS = {
    (notebook, test): answer
    for notebook, table in ((NB1, NB1_WRONG), (NB2, NB2_WRONG), (NB3, NB3_WRONG), (NB4, NB4_WRONG))
    for test, answer in table.items()
}

# The demo's partly wrong student: a few typical mistakes, one per notebook.
PARTLY_WRONG = [(NB1, "test-species-names"), (NB2, "test-n-params"), (NB3, "test-confusion"),
                (NB4, "test-accuracy-threshold")]
