"""Known wrong answers of monitor-training: one for every autograded test, and the tests it must
fail (penguin_course.preparing.known_answers says how they are used).

Each answer replaces the instructor's solution in one solution cell, and exactly the tests in
its ``fails`` may fail; every other test of the notebook must still pass. When you add or change
a test in this folder's notebook, add or change its entry here. This file is the instructor's:
it is never released (nbgrader_config.py ignores it).
"""

from textwrap import dedent

from penguin_course.preparing.known_answers import wrong

NB = "1-monitor-training.ipynb"

LESSON_NETWORK = """
inputs = keras.Input(shape=(4,))
hidden_layer = keras.layers.Dense(10, activation="relu")(inputs)
output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
model = keras.Model(inputs=inputs, outputs=output_layer)
model.compile(optimizer="adam", loss="categorical_crossentropy")
"""

WRONG_ANSWERS = {(NB, answer_for): answer for answer_for, answer in {
    # the whole training set on both sides: nothing is kept apart
    "test-validation-split-type": wrong(NB, "validation-split", """
        X_train_part, X_val, y_train_part, y_val = X_train, X_train, y_train, y_train
        """, "test-validation-split-type", "test-validation-split"),
    # the right sizes, but the validation penguins taken from the test set
    "test-validation-split": wrong(NB, "validation-split", """
        X_train_part, y_train_part = X_train.iloc[55:], y_train.iloc[55:]
        X_val, y_val = X_test.iloc[:55], y_test.iloc[:55]
        """, "test-validation-split"),
    # trained without the validation set: no validation loss to look at
    "test-history-type": wrong(NB, "train-model", LESSON_NETWORK + dedent("""
        history = model.fit(X_train_part, y_train_part, epochs=100, verbose=0)
        """), "test-history-type", "test-history", "test-best-epoch-type", "test-best-epoch"),
    # validated on the penguins it learns from
    "test-history": wrong(NB, "train-model", LESSON_NETWORK + dedent("""
        history = model.fit(X_train_part, y_train_part, validation_data=(X_train_part, y_train_part), epochs=100,
                            verbose=0)
        """), "test-history"),
    "test-best-epoch-type": wrong(NB, "best-epoch", """
        best_epoch = f"epoch {int(np.argmin(history.history['val_loss'])) + 1}"
        """, "test-best-epoch-type", "test-best-epoch"),
    # the epoch of the highest validation loss
    "test-best-epoch": wrong(NB, "best-epoch", """
        best_epoch = int(np.argmax(history.history["val_loss"])) + 1
        """, "test-best-epoch"),
    # the model's settings, not the model
    "test-dropout-type": wrong(NB, "dropout-model", """
        inputs = keras.Input(shape=(4,))
        hidden_layer = keras.layers.Dense(10, activation="relu")(inputs)
        dropped = keras.layers.Dropout(0.2)(hidden_layer)
        output_layer = keras.layers.Dense(3, activation="softmax")(dropped)
        network = keras.Model(inputs=inputs, outputs=output_layer)
        network.compile(optimizer="adam", loss="categorical_crossentropy")
        dropout_history = network.fit(X_train_part, y_train_part, validation_data=(X_val, y_val), epochs=100,
                                      verbose=0)
        dropout_model = network.get_config()
        """, "test-dropout-type", "test-dropout"),
    # dropout on the inputs, before the hidden layer
    "test-dropout": wrong(NB, "dropout-model", """
        inputs = keras.Input(shape=(4,))
        dropped = keras.layers.Dropout(0.2)(inputs)
        hidden_layer = keras.layers.Dense(10, activation="relu")(dropped)
        output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
        dropout_model = keras.Model(inputs=inputs, outputs=output_layer)
        dropout_model.compile(optimizer="adam", loss="categorical_crossentropy")
        dropout_history = dropout_model.fit(X_train_part, y_train_part, validation_data=(X_val, y_val), epochs=100,
                                            verbose=0)
        """, "test-dropout"),
}.items()}

# The demo's partly wrong student: validated on the training penguins, and the wrong end of the curve.
PARTLY_WRONG = [(NB, "test-history"), (NB, "test-best-epoch")]
