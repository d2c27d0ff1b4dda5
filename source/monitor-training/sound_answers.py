"""Sound answers of monitor-training: a class of students who each fill in the notebook in one
style (the lesson's episode, Keras's Sequential API, NumPy arrays), all of it sound work that
must get full marks (see penguin_course.preparing.known_answers). The instructor's file: never
released.
"""

from penguin_course.preparing.known_answers import code

NB = "1-monitor-training.ipynb"

CORPUS = {
    # The lesson's episode as a learner copies it: no stratify, NumPy's own integers, the plots.
    "lesson-learner": {
        NB: {
            "validation-split": code("""
                X_train_part, X_val, y_train_part, y_val = train_test_split(X_train, y_train, test_size=0.2,
                                                                            random_state=0)
            """),
            "train-model": code("""
                from tensorflow import keras

                inputs = keras.Input(shape=(X_train_part.shape[1],))
                hidden_layer = keras.layers.Dense(10, activation="relu")(inputs)
                output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
                model = keras.Model(inputs=inputs, outputs=output_layer, name="penguins_model")
                model.compile(optimizer='adam', loss=keras.losses.CategoricalCrossentropy())
                history = model.fit(X_train_part, y_train_part, epochs=100, validation_data=(X_val, y_val))
                sns.lineplot(x=history.epoch, y=history.history['loss'])
                sns.lineplot(x=history.epoch, y=history.history['val_loss'])
            """),
            "best-epoch": "best_epoch = np.argmin(history.history['val_loss']) + 1",
            "dropout-model": code("""
                inputs = keras.Input(shape=(X_train_part.shape[1],))
                hidden_layer = keras.layers.Dense(10, activation="relu")(inputs)
                dropout_layer = keras.layers.Dropout(0.3)(hidden_layer)
                output_layer = keras.layers.Dense(3, activation="softmax")(dropout_layer)
                dropout_model = keras.Model(inputs=inputs, outputs=output_layer, name="dropout_model")
                dropout_model.compile(optimizer='adam', loss=keras.losses.CategoricalCrossentropy())
                dropout_history = dropout_model.fit(X_train_part, y_train_part, epochs=100,
                                                    validation_data=(X_val, y_val))
            """),
        },
    },
    # Keras's Sequential API, a list's own index, a callback-free loop over the history.
    "keras-sequential": {
        NB: {
            "validation-split": code("""
                X_train_part, X_val, y_train_part, y_val = train_test_split(
                    X_train, y_train, test_size=0.25, random_state=42, stratify=y_train)
            """),
            "train-model": code("""
                model = keras.Sequential([
                    keras.Input(shape=(4,)),
                    keras.layers.Dense(10, activation="relu"),
                    keras.layers.Dense(3, activation="softmax"),
                ])
                model.compile(optimizer=keras.optimizers.Adam(), loss="categorical_crossentropy",
                              metrics=["accuracy"])
                history = model.fit(X_train_part, y_train_part, validation_data=(X_val, y_val), epochs=120,
                                    batch_size=16, verbose=0)
            """),
            "best-epoch": code("""
                val_losses = history.history["val_loss"]
                best_epoch = val_losses.index(min(val_losses)) + 1
                print(f"lowest validation loss {min(val_losses):.3f} at epoch {best_epoch}")
            """),
            "dropout-model": code("""
                dropout_model = keras.Sequential([
                    keras.Input(shape=(4,)),
                    keras.layers.Dense(10, activation="relu"),
                    keras.layers.Dropout(rate=0.5),
                    keras.layers.Dense(3, activation="softmax"),
                ])
                dropout_model.compile(optimizer=keras.optimizers.Adam(), loss="categorical_crossentropy",
                                      metrics=["accuracy"])
                dropout_history = dropout_model.fit(X_train_part, y_train_part, validation_data=(X_val, y_val),
                                                    epochs=120, batch_size=16, verbose=0)
            """),
        },
    },
    # NumPy arrays throughout: a shuffled index cut by hand, float targets, pandas for the minimum.
    "numpy-arrays": {
        NB: {
            "validation-split": code("""
                rng = np.random.default_rng(0)
                order = rng.permutation(len(X_train))
                n_val = len(X_train) // 5
                features, labels = X_train.to_numpy(), y_train.to_numpy(dtype="float32")
                X_val, y_val = features[order[:n_val]], labels[order[:n_val]]
                X_train_part, y_train_part = features[order[n_val:]], labels[order[n_val:]]
            """),
            "train-model": code("""
                inputs = keras.Input(shape=(4,))
                x = keras.layers.Dense(10, activation=keras.activations.relu)(inputs)
                outputs = keras.layers.Dense(3, activation=keras.activations.softmax)(x)
                model = keras.Model(inputs, outputs)
                model.compile(optimizer="adam", loss="categorical_crossentropy")
                history = model.fit(X_train_part, y_train_part, validation_data=(X_val, y_val), epochs=80,
                                    verbose=0)
            """),
            "best-epoch": "best_epoch = int(pd.Series(history.history['val_loss']).idxmin()) + 1",
            "dropout-model": code("""
                inputs = keras.Input(shape=(4,))
                x = keras.layers.Dense(10, activation=keras.activations.relu)(inputs)
                x = keras.layers.Dropout(0.1)(x)
                outputs = keras.layers.Dense(3, activation=keras.activations.softmax)(x)
                dropout_model = keras.Model(inputs, outputs)
                dropout_model.compile(optimizer="adam", loss="categorical_crossentropy")
                dropout_history = dropout_model.fit(X_train_part, y_train_part, validation_data=(X_val, y_val),
                                                    epochs=80, verbose=0)
            """),
        },
    },
}

# Answers broken on purpose, beside each student in the same graded class: (notebook, old text,
# new text, tests that must fail). Validated on the penguins it learns from, not on X_val; and
# each student's way to the epoch of the highest validation loss.
COMMON_MUTATIONS = [(NB, "validation_data=(X_val, y_val)", "validation_data=(X_train_part, y_train_part)",
                     {"test-history", "test-dropout"})]
OWN_MUTATIONS = {
    "lesson-learner": [(NB, "np.argmin", "np.argmax", {"test-best-epoch"})],
    "keras-sequential": [(NB, "min(val_losses)) + 1", "max(val_losses)) + 1", {"test-best-epoch"})],
    "numpy-arrays": [(NB, ".idxmin()", ".idxmax()", {"test-best-epoch"})],
}
