"""Sound answers of penguin-classification: a class of students who each fill in every notebook
in one style, the idioms students bring (the lesson's episode, TensorFlow's tutorials, the
functional API, NumPy), all of it sound work that must get full marks (see
penguin_course.preparing.known_answers). The instructor's file: never released.
"""

from penguin_course.preparing.known_answers import Rewritten, code

NB1, NB2, NB3, NB4 = ("1-inspect-dataset.ipynb", "2-count-parameters.ipynb",
                      "3-test-performance.ipynb", "4-improve-results.ipynb")

# A class of students who each fill in every notebook in one style, all of it sound work that must
# get full marks on every autograded test: student -> {notebook: {solution cell: code}}. Cells left
# out keep the instructor's solution; a cell's code replaces its stub (the given lines around it
# stay) unless it is Rewritten; an empty string is a cell the student emptied, having written
# everything elsewhere.
CORPUS = {
    # The lesson's own episode code (carpentries-lab/deep-learning-intro, episode 2, "Classification
    # by a neural network using Keras") as a learner copies it, its outputs and plots included.
    "lesson-learner": {
        NB1: {
            "load-penguins": code("""
                penguins = sns.load_dataset('penguins')
                penguins.shape
                sns.pairplot(penguins, hue="species")
            """),
            "feature-names": "feature_names = penguins.columns.tolist()",
            "classes-are-strings": code("""
                penguins['species'].unique()
                classes_are_strings = type(penguins['species'][0]) == str
            """),
            # in pandas 3, .unique() of a string column is a pandas extension array
            "species-names": "species_names = penguins['species'].unique()",
            "n-samples": "n_samples = penguins.shape[0]",
        },
        NB2: {
            "build-model": code("""
                from tensorflow import keras

                inputs = keras.Input(shape=(4,))
                hidden_layer = keras.layers.Dense(10, activation="relu")(inputs)
                output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
                model = keras.Model(inputs=inputs, outputs=output_layer)
                keras.utils.plot_model(model, show_shapes=True)
            """),
            "n-params": "n_params = 40 + 30 + 10 + 3  # the weights of both layers, then their biases",
            "count-parameters": code("""
                def count_parameters(n_inputs, n_hidden, n_outputs):
                    weights = n_inputs * n_hidden + n_hidden * n_outputs
                    biases = n_hidden + n_outputs
                    return weights + biases
            """),
            "extra-params": "extra_params_per_neuron = 4 + 1 + 3  # 4 weights from the inputs, a bias, 3 weights to the outputs",
        },
        NB3: {
            "filter": code("""
                # Drop categorical columns
                penguins_filtered = penguins.drop(columns=['island', 'sex'])
                # Drop the rows that have NaN values in them
                penguins_filtered = penguins_filtered.dropna()
            """),
            "features-target": code("""
                # Extract columns corresponding to features
                penguin_features = penguins_filtered.drop(columns=['species'])
                target = pd.get_dummies(penguins_filtered['species'])
            """),
            "split": code("""
                X_train, X_test, y_train, y_test = train_test_split(penguin_features, target, test_size=0.2, random_state=0, shuffle=True, stratify=target)
            """),
            "build-compile": code("""
                from tensorflow import keras
                from numpy.random import seed
                seed(1)
                keras.utils.set_random_seed(2)

                inputs = keras.Input(shape=(X_train.shape[1],))
                hidden_layer = keras.layers.Dense(10, activation="relu")(inputs)
                output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
                model = keras.Model(inputs=inputs, outputs=output_layer)
                model.summary()
                model.compile(optimizer='adam', loss=keras.losses.CategoricalCrossentropy())
            """),
            "train": code("""
                history = model.fit(X_train, y_train, epochs=100)
                sns.lineplot(x=history.epoch, y=history.history['loss'])
            """),
            "predict": code("""
                y_pred = model.predict(X_test)
                prediction = pd.DataFrame(y_pred, columns=target.columns)
                prediction
                predicted_species = prediction.idxmax(axis="columns")
                predicted_species
            """),
            "confusion": code("""
                true_species = y_test.idxmax(axis="columns")

                matrix = confusion_matrix(true_species, predicted_species)
                print(matrix)
                # Convert to a pandas dataframe
                confusion_df = pd.DataFrame(matrix, index=y_test.columns.values, columns=y_test.columns.values)

                # Set the names of the x and y axis, this helps with the readability of the heatmap.
                confusion_df.index.name = 'True Label'
                confusion_df.columns.name = 'Predicted Label'
                confusion_df.head()
                sns.heatmap(confusion_df, annot=True)
            """),
            # a NumPy float64 (true_species keeps y_test's index, predicted_species has a new one)
            "accuracy": "test_accuracy = (true_species.to_numpy() == predicted_species.to_numpy()).mean()",
            "save": code("""
                model.save('my_first_model.keras')
                pretrained_model = keras.models.load_model('my_first_model.keras')
                # use the pretrained model here
                y_pretrained_pred = pretrained_model.predict(X_test)
                pretrained_prediction = pd.DataFrame(y_pretrained_pred, columns=target.columns.values)
                # idxmax will select the column for each row with the highest value
                pretrained_predicted_species = pretrained_prediction.idxmax(axis="columns")
                print(pretrained_predicted_species)
            """),
        },
        # StandardScaler and the lesson's functional model built by a function (as in the lesson's next
        # episode), watched with a validation split; a pandas Series of names
        NB4: {
            "improve": code("""
                from sklearn.preprocessing import StandardScaler

                scaler = StandardScaler()
                X_train_scaled = scaler.fit_transform(X_train)


                def create_nn(n_hidden=10):
                    inputs = keras.Input(shape=(X_train.shape[1],), name='input')
                    hidden = keras.layers.Dense(n_hidden, activation='relu', name='hidden')(inputs)
                    outputs = keras.layers.Dense(3, activation='softmax', name='output')(hidden)
                    return keras.Model(inputs=inputs, outputs=outputs, name='improved_model')


                improved_model = create_nn()
                improved_model.compile(optimizer='adam', loss=keras.losses.CategoricalCrossentropy(), metrics=['accuracy'])
                history = improved_model.fit(X_train_scaled, y_train, epochs=100, validation_split=0.2)
                history_df = pd.DataFrame.from_dict(history.history)
                sns.lineplot(data=history_df[['loss', 'val_loss']])


                def predict_species(features):
                    y_pred = improved_model.predict(scaler.transform(features[X_train.columns]))
                    prediction = pd.DataFrame(y_pred, columns=target.columns)
                    return prediction.idxmax(axis="columns")
            """),
        },
    },
    # TensorFlow's tutorials: tf.keras, Sequential().add, tf.nn activations, the loss as a function,
    # LabelEncoder and to_categorical, model.evaluate.
    "tf-tutorial": {
        NB1: {
            "load-penguins": "penguins = sns.load_dataset('penguins')\npenguins.info()",
            "feature-names": "feature_names = list(penguins)  # iterating over a DataFrame gives its column names",
            "classes-are-strings": "classes_are_strings = penguins.species.map(type).eq(str).all()  # a NumPy bool",
            "species-names": "import pandas as pd\nspecies_names = pd.Categorical(penguins.species.unique())",
            "n-samples": "n_samples = len(penguins.index)",
        },
        NB2: {
            "build-model": code("""
                import tensorflow as tf

                model = tf.keras.Sequential()
                model.add(tf.keras.layers.Dense(10, activation=tf.nn.relu, input_shape=(4,)))  # input shape required
                model.add(tf.keras.layers.Dense(3, activation=tf.nn.softmax))
            """),
            "n-params": code("""
                n_params = 0
                for layer in model.layers:
                    kernel, bias = layer.get_weights()
                    n_params += kernel.size + bias.size
            """),
            "count-parameters": code("""
                def count_parameters(n_inputs, n_hidden, n_outputs):
                    network = tf.keras.Sequential([
                        tf.keras.layers.Dense(n_hidden, activation=tf.nn.relu, input_shape=(n_inputs,)),
                        tf.keras.layers.Dense(n_outputs, activation=tf.nn.softmax),
                    ])
                    return network.count_params()
            """),
            "extra-params": "extra_params_per_neuron = count_parameters(4, 11, 3) - count_parameters(4, 10, 3)",
        },
        NB3: {
            "filter": "penguins_filtered = penguins.drop(['island', 'sex'], axis=1).dropna(axis=0)",
            # to_categorical of LabelEncoder's codes: one-hot columns in sorted species order, as
            # pd.get_dummies makes them, so stratify=target makes the lesson's split
            "features-target": Rewritten(code("""
                import pandas as pd
                import tensorflow as tf
                from sklearn.preprocessing import LabelEncoder

                penguin_features = penguins_filtered[['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g']]
                label_encoder = LabelEncoder()
                labels = label_encoder.fit_transform(penguins_filtered['species'])
                target = tf.keras.utils.to_categorical(labels, num_classes=3)
                target[:5]
            """)),
            "split": code("""
                X_train, X_test, y_train, y_test = train_test_split(
                    penguin_features, target, test_size=0.2, random_state=0, shuffle=True, stratify=target)
            """),
            "build-compile": code("""
                model = tf.keras.Sequential()
                model.add(tf.keras.layers.Dense(10, activation=tf.nn.relu, input_shape=(4,)))
                model.add(tf.keras.layers.Dense(3, activation=tf.nn.softmax))
                model.compile(optimizer=tf.keras.optimizers.Adam(),
                              loss=tf.keras.losses.categorical_crossentropy,
                              metrics=['accuracy'])
            """),
            "train": "history = model.fit(X_train, y_train, epochs=100, verbose=2)",
            "predict": code("""
                import numpy as np

                predictions = model.predict(X_test)
                predicted_species = label_encoder.inverse_transform(np.argmax(predictions, axis=1))
            """),
            "confusion": code("""
                matrix = tf.math.confusion_matrix(np.argmax(y_test, axis=1), np.argmax(predictions, axis=1), num_classes=3)
                confusion_df = pd.DataFrame(matrix.numpy(), index=label_encoder.classes_, columns=label_encoder.classes_)
            """),
            "accuracy": "test_loss, test_accuracy = model.evaluate(X_test, y_test, verbose=2)",
            "save": code("""
                model.save('my_first_model.keras')
                # Keras saves tf.nn.softmax by its function's name, which it cannot load back by itself
                new_model = tf.keras.models.load_model('my_first_model.keras', custom_objects={'softmax_v2': tf.nn.softmax})
                new_model.summary()
            """),
        },
        # tf.keras with tf.nn activations on features standardised with pandas; a NumPy array of names
        NB4: {
            "improve": code("""
                import numpy as np
                import tensorflow as tf

                mean, std = X_train.mean(), X_train.std()

                def normalise(features):
                    return ((features[X_train.columns] - mean) / std).to_numpy(dtype="float32")

                improved_model = tf.keras.Sequential([
                    tf.keras.layers.Dense(16, activation=tf.nn.relu, input_shape=(4,)),
                    tf.keras.layers.Dense(3, activation=tf.nn.softmax),
                ])
                improved_model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.01),
                                       loss=tf.keras.losses.CategoricalCrossentropy(), metrics=['accuracy'])
                improved_model.fit(normalise(X_train), y_train.to_numpy(dtype="float32"), epochs=50, batch_size=16, verbose=0)
                species = np.array(y_train.columns)

                def predict_species(features):
                    return species[np.argmax(improved_model.predict(normalise(features), verbose=0), axis=1)]
            """),
        },
    },
    # Keras's functional API with activations as layers (ReLU, Activation, Softmax) or functions
    # (keras.activations, keras.ops), pd.Categorical and pandas' string arrays, keras.metrics.
    "functional-api": {
        NB1: {
            "load-penguins": "penguins = sns.load_dataset('penguins')",
            "feature-names": "feature_names = [str(column) for column in penguins.columns]",
            "classes-are-strings": "import pandas as pd\nclasses_are_strings = pd.api.types.is_string_dtype(penguins['species'])",
            "species-names": "species_names = pd.array(penguins['species'].unique(), dtype=\"string\")",
            # a NumPy integer, and the usual module names rebound: the tests import their own
            "n-samples": "n_samples = penguins['species'].count()\npd = np = checks = None",
        },
        NB2: {
            "build-model": code("""
                inputs = keras.Input(shape=(4,), name="measurements")
                x = keras.layers.Dense(10, name="hidden")(inputs)
                x = keras.layers.ReLU()(x)
                x = keras.layers.Dense(3, name="scores")(x)
                outputs = keras.layers.Activation(keras.activations.softmax, name="probabilities")(x)
                model = keras.Model(inputs=inputs, outputs=outputs, name="penguins")
            """),
            "n-params": "n_params = (4 + 1) * 10 + (10 + 1) * 3",
            "count-parameters": code("""
                import numpy as np
                count_parameters = lambda n_inputs, n_hidden, n_outputs: np.int64((n_inputs + 1) * n_hidden + (n_hidden + 1) * n_outputs)
            """),
            "extra-params": "extra_params_per_neuron = count_parameters(4, 11, 3) - count_parameters(4, 10, 3)",
        },
        NB3: {
            "filter": code("""
                columns = ['species', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g']
                penguins_filtered = penguins.loc[:, columns].dropna()
            """),
            # the feature columns in another order; the target from pd.Categorical's codes, whose
            # categories are sorted (reordering the target's columns would change the split)
            "features-target": Rewritten(code("""
                import pandas as pd

                penguin_features = penguins_filtered[['body_mass_g', 'flipper_length_mm', 'bill_depth_mm', 'bill_length_mm']]
                species = pd.Categorical(penguins_filtered['species'])
                target = keras.utils.to_categorical(species.codes)
                target[:5]
            """)),
            "split": code("""
                X_train, X_test, y_train, y_test = train_test_split(penguin_features, target, stratify=target,
                                                                    test_size=0.2, shuffle=True, random_state=0)
            """),
            "build-compile": code("""
                inputs = keras.Input(shape=(4,))
                hidden = keras.layers.Dense(10, activation=keras.activations.relu)(inputs)
                outputs = keras.layers.Dense(3, activation=keras.ops.softmax)(hidden)
                model = keras.Model(inputs, outputs)
                model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="categorical_crossentropy",
                              metrics=[keras.metrics.CategoricalAccuracy()])
            """),
            "train": "history = model.fit(x=X_train, y=y_train, epochs=100, shuffle=True, verbose=0)",
            # a pandas Index of names
            "predict": code("""
                probabilities = model.predict(X_test, verbose=0)
                predicted_species = species.categories[probabilities.argmax(axis=1)]
            """),
            # crosstab leaves out a species never predicted: reindex puts it back
            "confusion": code("""
                true_species = species.categories[y_test.argmax(axis=1)]
                confusion_df = (pd.crosstab(pd.Series(true_species, name="true"), pd.Series(predicted_species, name="predicted"))
                                .reindex(index=species.categories, columns=species.categories, fill_value=0))
            """),
            # a TensorFlow tensor
            "accuracy": code("""
                accuracy = keras.metrics.CategoricalAccuracy()
                accuracy.update_state(y_test, probabilities)
                test_accuracy = accuracy.result()
            """),
            "save": "model.save('my_first_model.keras')\nreloaded = keras.saving.load_model('my_first_model.keras')",
        },
        # a Normalization layer in a Sequential, activations as layers; a list of names
        NB4: {
            "improve": code("""
                normalizer = keras.layers.Normalization(axis=-1)
                normalizer.adapt(X_train.to_numpy(dtype="float32"))
                improved_model = keras.Sequential([
                    keras.Input(shape=(4,)),
                    normalizer,
                    keras.layers.Dense(16),
                    keras.layers.ReLU(),
                    keras.layers.Dense(3),
                    keras.layers.Softmax(),
                ])
                improved_model.compile(optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.CategoricalCrossentropy(),
                                       metrics=["accuracy"])
                improved_model.fit(X_train.to_numpy(dtype="float32"), y_train.to_numpy(dtype="float32"), epochs=60, verbose=0)
                species = list(y_train.columns)

                def predict_species(features):
                    probabilities = improved_model.predict(features[list(X_train.columns)].to_numpy(dtype="float32"), verbose=0)
                    return [species[i] for i in probabilities.argmax(axis=1)]
            """),
        },
    },
    # NumPy arrays instead of DataFrames, float32 data, NumPy numbers (a 0-d array, np.int64,
    # np.float32) and a whole number written as a float, all of notebook 3 in one cell.
    "numpy-arrays": {
        NB1: {
            "load-penguins": "penguins = sns.load_dataset('penguins')",
            "feature-names": "import numpy as np\nfeature_names = np.asarray(penguins.columns, dtype=str).tolist()",
            "classes-are-strings": "classes_are_strings = np.all([isinstance(value, str) for value in penguins['species'].to_numpy()])",
            "species-names": "species_names = np.unique(penguins['species'].to_numpy(dtype=str))",
            "n-samples": "n_samples = np.asarray(penguins.to_numpy().shape[0])  # a 0-d array",
        },
        NB2: {
            "build-model": code("""
                model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation='relu'),
                                          keras.layers.Dense(3, activation='softmax')])
            """),
            "n-params": "n_params = float(4 * 10 + 10 + 10 * 3 + 3)  # 83.0",
            "count-parameters": code("""
                import numpy as np

                def count_parameters(n_inputs, n_hidden, n_outputs):
                    sizes = np.array([n_inputs, n_hidden, n_outputs])
                    return np.sum(sizes[:-1] * sizes[1:] + sizes[1:])  # weights and biases, layer by layer
            """),
            "extra-params": "extra_params_per_neuron = np.float32(count_parameters(4, 11, 3) - count_parameters(4, 10, 3))",
        },
        NB3: {
            "filter": code("""
                import numpy as np
                import pandas as pd
                from sklearn.metrics import confusion_matrix
                from sklearn.model_selection import train_test_split
                from sklearn.preprocessing import OneHotEncoder

                penguins_filtered = penguins.drop(columns=['island', 'sex']).dropna()
                encoder = OneHotEncoder(sparse_output=False, dtype=int)  # an int one-hot target
                target = encoder.fit_transform(penguins_filtered[['species']])
                penguin_features = penguins_filtered.drop(columns=['species']).to_numpy().astype("float32")
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
                test_accuracy = np.float32(np.mean(true_species == predicted_species))
                model.save('my_first_model.keras')
            """),
            "features-target": Rewritten("target[:5]"),
            "split": "", "build-compile": "", "train": "", "predict": "", "confusion": "", "accuracy": "", "save": "",
        },
        # min-max scaling by hand with NumPy, and more epochs; a NumPy array of names
        NB4: {
            "improve": code("""
                import numpy as np

                columns = list(X_train.columns)
                train_values = X_train[columns].to_numpy(dtype="float32")
                minimum, maximum = train_values.min(axis=0), train_values.max(axis=0)

                def min_max(values):
                    return (np.asarray(values, dtype="float32") - minimum) / (maximum - minimum)

                improved_model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation="relu"),
                                                   keras.layers.Dense(3, activation="softmax")])
                improved_model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy")
                improved_model.fit(min_max(train_values), y_train.to_numpy(dtype="float32"), epochs=150, batch_size=64,
                                   verbose=0)
                species_order = y_train.columns.to_numpy(dtype=str)

                def predict_species(features):
                    probabilities = improved_model.predict(min_max(features[columns]), verbose=0)
                    return species_order[probabilities.argmax(axis=1)]
            """),
        },
    },
}

# Answers broken on purpose, beside each student in the same graded class: (notebook, old text,
# new text, tests that must fail), made in every student's own code (COMMON_MUTATIONS) or in one
# student's (OWN_MUTATIONS); every notebook of every student gets one.
ACCURACY = {"test-accuracy-threshold", "test-predict-species-generalises"}
COMMON_MUTATIONS = [
    (NB1, "sns.load_dataset('penguins')", "sns.load_dataset('penguins').head(300)",
     {"test-penguins-content", "test-n-samples"}),
    (NB2, "Dense(10", "Dense(12", {"test-model-layers", "test-model-parameters"}),
    (NB3, "Dense(10", "Dense(12", {"test-model-architecture"}),
    (NB3, "random_state=0", "random_state=1", {"test-split-exact"}),
]
# each student's own way of breaking notebook 4: the measurements left unscaled at prediction,
# or the species named in another order than the model's outputs
OWN_MUTATIONS = {
    "lesson-learner": [(NB4, "scaler.transform(features[X_train.columns])", "features[X_train.columns]", ACCURACY)],
    "tf-tutorial": [(NB4, "improved_model.predict(normalise(features)", "improved_model.predict(features.to_numpy()",
                     ACCURACY)],
    "functional-api": [(NB4, "species = list(y_train.columns)", "species = list(y_train.columns)[::-1]", ACCURACY)],
    "numpy-arrays": [(NB4, "min_max(features[columns])", "features[columns].to_numpy()", ACCURACY)],
}
