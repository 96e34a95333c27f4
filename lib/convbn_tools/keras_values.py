"""The Keras side of :mod:`convbn_tools.wire`: what of a model the grader reads.

A Keras model a submission sends crosses as its config (JSON) and its weights. The
grader builds it with ``safe_mode=True`` (no ``Lambda``, no file a layer would
read), after a limited process has reported its variables' sizes; and before that,
:func:`check_config` refuses a config that names a *function* outside Keras's
modeling modules: ``safe_mode`` lets a config name any function of Keras's public
API, and a model whose activation is ``keras.config.set_epsilon`` (or
``set_floatx``, ``set_max_epochs``, ...) would, when a checker calls it in the
grader, change Keras's settings for every submission graded after it.

A model a checker hands the student's function comes back as the values of its
variables only (:class:`convbn_tools.wire.ModelWeights`), copied into the checker's
model by :func:`assign_weights`.
"""

from __future__ import annotations

import json

import numpy as np

__all__ = ["MODEL_FUNCTION_MODULES", "check_config", "build", "assign_weights"]

#: The largest Keras model (bytes of variables) the grader rebuilds.
MAX_MODEL_BYTES = 256 * 2**20
#: The modules a function named in a model's config may come from: Keras's
#: activations, initializers, regularizers, constraints, losses and metrics
#: ("builtins" is how Keras names those it looks up there by name).
MODEL_FUNCTION_MODULES = frozenset(
    {"builtins"}
    | {
        f"keras.{name}"
        for name in (
            "activations",
            "initializers",
            "regularizers",
            "constraints",
            "losses",
            "metrics",
        )
    }
)
#: The deepest a model's config may nest (a Sequential of layers is about 6 deep).
MAX_CONFIG_DEPTH = 64


def check_config(config, refused: type[Exception]) -> None:
    """Raise ``refused`` if the decoded JSON ``config`` nests deeper than
    :data:`MAX_CONFIG_DEPTH` or names a function (``"class_name": "function"``)
    outside :data:`MODEL_FUNCTION_MODULES`."""
    todo = [(config, 0)]
    while todo:
        node, depth = todo.pop()
        if depth > MAX_CONFIG_DEPTH:
            raise refused(f"a Keras model's config nested more than {depth} deep")
        if isinstance(node, list):
            todo += [(item, depth + 1) for item in node]
        elif isinstance(node, dict):
            if node.get("class_name") == "function":
                module = node.get("module")
                if not (isinstance(module, str) and module in MODEL_FUNCTION_MODULES):
                    name = node.get("config")
                    shown = f"{module}.{name}" if isinstance(name, str) else module
                    raise refused(
                        f"the Keras model refers to the function {str(shown)[:100]!r}; "
                        "a model's functions must be activations, initializers, "
                        "regularizers, constraints, losses or metrics of Keras"
                    )
            todo += [(value, depth + 1) for value in node.values()]


def build(config: str, arrays_of, model_sizes, refused: type[Exception], cut):
    """The Keras model ``config`` describes (JSON text), with the weights that
    ``arrays_of()`` decodes, checked before it is built: :func:`check_config`, then
    the variables' sizes from ``model_sizes`` (a limited process) must fit
    :data:`MAX_MODEL_BYTES` and match those weights. ``refused`` is the exception
    raised for a model the grader will not read, ``cut`` shortens Keras's messages."""
    try:
        parsed = json.loads(config)
    except (ValueError, RecursionError):
        raise refused("a Keras model whose config is not JSON") from None
    check_config(parsed, refused)
    sizes = model_sizes(config)  # refused, with Keras's message, if refused
    total = sum(
        int(np.prod(shape)) * np.dtype(dtype).itemsize for shape, dtype in sizes
    )
    if total > MAX_MODEL_BYTES:
        raise refused(
            f"the Keras model's variables take {total / 2**20:.0f} MB "
            f"(at most {MAX_MODEL_BYTES // 2**20} MB are read)"
        )
    arrays = arrays_of()
    if [a.shape for a in arrays] != [tuple(shape) for shape, _ in sizes]:
        return None  # the caller says the weights do not match
    import keras

    try:
        model = keras.saving.deserialize_keras_object(parsed, safe_mode=True)
        model.set_weights(arrays)
    except Exception as error:
        raise refused(
            f"the Keras model could not be read safely ({cut(str(error), 500)})"
        ) from None
    return model


def assign_weights(model, arrays: list[np.ndarray], cut) -> None:
    """Set every variable of ``model`` (``model.weights``) to ``arrays``, which must
    be numbers of exactly the variables' shapes (ValueError, naming them, if not)."""
    variables = list(getattr(model, "weights", None) or [])
    want = [tuple(int(n) for n in v.shape) for v in variables]
    got = [a.shape for a in arrays]
    if got != want or not all(a.dtype.kind in "biuf" for a in arrays):
        if got == want:
            kinds = sorted({str(a.dtype) for a in arrays if a.dtype.kind not in "biuf"})
            what = f"weights of type {', '.join(kinds)}"
        else:
            what = f"{len(got)} weights of shapes {cut(str(got), 300)}"
        raise ValueError(
            f"the Keras model came back with {what}; the model it was given has "
            f"{len(want)} of shapes {cut(str(want), 300)}: change the values of its "
            "variables (assign), not its layers or their number"
        )
    for variable, array in zip(variables, arrays, strict=True):
        variable.assign(array.astype(str(variable.dtype)))
