#!/usr/bin/env python3
"""Makes the Keras fixtures of Tests/Interop/Fixtures ONCE (they are committed; CI never runs this).

The seed architecture (Conv2D 32 3x3 relu, MaxPool 2, Conv2D 64 3x3 relu, MaxPool 2, Flatten,
Dense 128 relu, Dense 10 softmax) trained briefly on MNIST, saved three ways:

  seed.h5           model.save(".h5"): the legacy (Keras 2) HDF5 format, with model_config
  seed.keras        model.save(".keras"): the Keras 3 zip (config.json + model.weights.h5)
  seed.weights.h5   model.save_weights(): Keras 3 weights only
  other.keras       another network (Conv2D 8, MaxPool, Flatten, Dense 10), for the error tests
  other.weights.h5  its weights only
  seed.json         Keras' own test accuracy (10,000 images) and its predicted classes on the
                    first 1,000 test images, which `digits import` + `digits evaluate` must match

Needs TensorFlow in a virtual environment outside git (one thread, so others can build):
  python3 -m venv .build-venv-tf && .build-venv-tf/bin/pip install tensorflow-cpu==2.21.0
  .build-venv-tf/bin/python Tests/Interop/make_keras_fixtures.py --data /work/shared/datasets/mnist
"""
import argparse
import gzip
import json
import os

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402


def idx(path):
    """An IDX file (raw or .gz) as a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(folder, name):
    for candidate in (name, name + ".gz"):
        if os.path.exists(os.path.join(folder, candidate)):
            return os.path.join(folder, candidate)
    raise SystemExit(f"{folder}: no {name}[.gz]")


def seed_cnn():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/work/shared/datasets/mnist")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "Fixtures"))
    parser.add_argument("--train-images", type=int, default=30000, help="half an epoch by default")
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(12)

    # The project's input: pixel/255, white ink on black, 28x28; Keras wants channels last.
    x_train = idx(find(args.data, "train-images-idx3-ubyte"))[: args.train_images].astype("float32")[..., None] / 255
    y_train = idx(find(args.data, "train-labels-idx1-ubyte"))[: args.train_images]
    x_test = idx(find(args.data, "t10k-images-idx3-ubyte")).astype("float32")[..., None] / 255
    y_test = idx(find(args.data, "t10k-labels-idx1-ubyte"))

    model = seed_cnn()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=2)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    probabilities = model.predict(x_test, batch_size=1000, verbose=0)
    predicted = probabilities.argmax(axis=1)

    # Saved from a fresh, never compiled copy, so the files hold the weights without the Adam
    # state (0.9 MB each instead of 2.7; the importer skips optimizer groups either way).
    os.makedirs(args.out, exist_ok=True)
    saved = seed_cnn()
    saved.set_weights(model.get_weights())
    saved.save(os.path.join(args.out, "seed.h5"))
    saved.save(os.path.join(args.out, "seed.keras"))
    saved.save_weights(os.path.join(args.out, "seed.weights.h5"))
    # Another architecture, untrained: `digits import` must refuse it with one clear line.
    other = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(8, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    other.save(os.path.join(args.out, "other.keras"))
    other.save_weights(os.path.join(args.out, "other.weights.h5"))
    facts = {
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
        "training_images": int(args.train_images),
        "test_images": int(len(y_test)),
        # Counted from the predictions, so it is exact (model.evaluate's is a float32 mean).
        "test_accuracy": float((predicted == y_test).mean()),
        "keras_evaluate_accuracy": float(accuracy),
        "first_1000_predictions": [int(p) for p in predicted[:1000]],
        "first_1000_top_probability": [round(float(p), 6) for p in probabilities[:1000].max(axis=1)],
    }
    with open(os.path.join(args.out, "seed.json"), "w") as f:
        json.dump(facts, f, indent=1)
        f.write("\n")
    print(json.dumps({k: v for k, v in facts.items() if not k.startswith("first")}))


if __name__ == "__main__":
    main()
