"""The grid and the HTML of a static widget: precomputed frames, native controls.

Used by :mod:`convbn.widgets` when the book is built (``CONVBN_STATIC_WIDGETS=1``).
A player is one self-contained ``<figure>``: labelled native controls (``<select>``,
``<input type="range">`` with an ``<output>``, ``<input type="checkbox">``), one
``<img>`` per distinct frame (all but one ``hidden``; each with alt text naming
the plot and the control values), a JSON manifest mapping every precomputed state
to its frame, a caption, and an inline script (the same few lines in every player,
defined once per page) that shows the frame of the current state. Nothing is
fetched: the frames are ``data:`` URIs.

The state of a player is the tuple of each control's index into its grid; the grid
holds states where at most one control differs from its default, so changing one
control puts the others back to their defaults (the caption says so).
"""

from __future__ import annotations

import html
import json

import ipywidgets as ipw
import numpy as np

from ._validation import as_number

#: Looks like the book: the theme's own colours, so light and dark themes both work
#: (the player sets its own background: the theme inverts HTML outputs in dark mode).
CSS = """
.convbn-player{margin:0.5rem 0 1rem;padding:0.5rem 0.75rem;border:1px solid
var(--pst-color-border,#ccc);border-radius:0.25rem;max-width:100%;
background:var(--pst-color-background,#fff);color:var(--pst-color-text-base,#222)}
.convbn-player-controls{display:flex;flex-wrap:wrap;gap:0.4rem 1.5rem;
align-items:center;margin-bottom:0.5rem}
.convbn-player-control{display:flex;align-items:center;gap:0.5rem}
.convbn-player-control label{font-weight:600;color:inherit}
.convbn-player-control select,.convbn-player-control input{font:inherit;
color:inherit;background:var(--pst-color-background,#fff);
border:1px solid var(--pst-color-border,#767676);border-radius:0.2rem;
accent-color:var(--pst-color-primary,#0a6ebd)}
.convbn-player-control select{max-width:100%}
.convbn-player-control input[type=range]{padding:0;min-width:10rem}
.convbn-player-control output{color:inherit;font-variant-numeric:tabular-nums;
min-width:3.5rem}
.convbn-player img{display:block;max-width:100%;height:auto;background:#fff}
.convbn-player img[hidden]{display:none}
.convbn-player figcaption{font-size:0.9em;margin-top:0.4rem;text-align:left;
color:inherit}
"""

#: Defines ``window.convbnPlayer`` once and starts the player whose id it is given.
JS = """
window.convbnPlayer = window.convbnPlayer || function (root) {
  var data = JSON.parse(root.querySelector("script.convbn-player-data").textContent);
  var frames = root.querySelectorAll("img.convbn-player-frame");
  var inputs = root.querySelectorAll("[data-control]");
  var state = data.defaults.slice();
  function read(input) {
    return input.type === "checkbox" ? (input.checked ? 1 : 0) : Number(input.value);
  }
  function write(input, index) {
    var position = Number(input.dataset.position);
    if (input.type === "checkbox") { input.checked = index === 1; }
    else { input.value = String(index); }
    if (input.type === "range") {
      var label = data.labels[position][index];
      input.setAttribute("aria-valuetext", label);
      root.querySelector("output[for='" + input.id + "']").textContent = label;
    }
  }
  function show() {
    var frame = data.states[state.join(",")];
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = i !== frame; }
    root.dataset.state = state.join(",");
  }
  inputs.forEach(function (input) {
    var position = Number(input.dataset.position);
    var event = input.type === "range" ? "input" : "change";
    input.addEventListener(event, function () {
      state = data.defaults.slice();
      state[position] = read(input);
      inputs.forEach(function (other) {
        write(other, state[Number(other.dataset.position)]);
      });
      show();
    });
  });
  show();
};
"""


# --- the grid: which values of each control get a frame ---


def number_label(control, value) -> str:
    fmt = getattr(control, "readout_format", "") or ""
    try:
        return format(value, fmt) if fmt else f"{value:g}"
    except (TypeError, ValueError):
        return str(value)


def thin(values: list, default_index: int, steps: int) -> list[int]:
    """Indices of about ``steps`` evenly spaced values, ends and default kept."""
    if len(values) <= steps:
        return list(range(len(values)))
    picked = np.linspace(0, len(values) - 1, steps).round().astype(int)
    return sorted({*picked.tolist(), default_index})


def slider_grid(control, wanted, steps: int):
    """(values, labels, default index) of a numeric slider."""
    log = isinstance(control, ipw.FloatLogSlider)
    low, high, step = control.min, control.max, control.step
    count = int(round((high - low) / step)) + 1
    positions = [low + i * step for i in range(count)]
    if isinstance(control, ipw.IntSlider):
        positions = [int(v) for v in positions]
    else:
        positions = [round(float(v), 10) for v in positions]
    values = [control.base**p for p in positions] if log else positions
    default = control.value
    index = int(np.argmin([abs(v - default) for v in values]))
    values[index] = default  # the default is exactly the control's own value
    if wanted is None:
        keep = thin(values, index, steps)
        values = [values[i] for i in keep]
    else:
        low_value, high_value = (values[0], values[-1])
        picked = []
        for value in wanted:
            value = as_number(
                value,
                f"static_values[{control._kwarg!r}]",
                minimum=min(low_value, high_value),
                maximum=max(low_value, high_value),
            )
            picked.append(int(value) if isinstance(control, ipw.IntSlider) else value)
        values = sorted({*picked, default})
    labels = [number_label(control, v) for v in values]
    return values, labels, values.index(default)


def control_grid(control, wanted, steps: int):
    """What a static player does with one control: (kind, values, labels, default).

    ``wanted`` (or None) is the factory's ``static_values`` for it; a slider with
    more than ``steps`` positions is thinned to about that many."""
    if isinstance(control, ipw.Checkbox):
        values = [False, True]
        return "checkbox", values, ["off", "on"], values.index(bool(control.value))
    if isinstance(control, ipw.SelectMultiple):
        labels = list(control._options_labels)
        options = list(control._options_values)
        default = tuple(control.value)
        values = [default] + [(v,) for v in options if (v,) != default]
        names = [
            f"all {len(value)}"
            if len(value) > 1 and set(value) == set(options)
            else ", ".join(labels[options.index(v)] for v in value) or "none"
            for value in values
        ]
        return "select", values, names, 0
    if isinstance(control, ipw.SelectionSlider | ipw.Dropdown | ipw.RadioButtons):
        labels = [str(label) for label in control._options_labels]
        values = list(control._options_values)
        default = control.index
        if wanted is not None:
            strange = [v for v in wanted if v not in values]
            if strange:
                raise ValueError(
                    f"static_values[{control._kwarg!r}] must be among the options "
                    f"{values}, got {strange}"
                )
            keep = sorted({values.index(v) for v in wanted} | {default})
        elif isinstance(control, ipw.SelectionSlider):
            keep = thin(values, default, steps)
        else:
            keep = list(range(len(values)))
        kind = "range" if isinstance(control, ipw.SelectionSlider) else "select"
        return (
            kind,
            [values[i] for i in keep],
            [labels[i] for i in keep],
            keep.index(default),
        )
    if isinstance(control, ipw.IntSlider | ipw.FloatSlider | ipw.FloatLogSlider):
        values, labels, default = slider_grid(control, wanted, steps)
        return "range", values, labels, default
    raise TypeError(
        f"controls[{getattr(control, '_kwarg', '?')!r}] must be a slider, menu, "
        f"check box or multiple selection for a static player, got "
        f"{type(control).__name__}"
    )


def one_at_a_time(defaults: tuple[int, ...], sizes: list[int]) -> list[tuple]:
    """The states of a player: the defaults, then each control through its grid
    with the others at their defaults (``sizes``: the length of each grid)."""
    keys = [tuple(defaults)]
    for position, size in enumerate(sizes):
        for index in range(size):
            if index != defaults[position]:
                key = list(defaults)
                key[position] = index
                keys.append(tuple(key))
    return keys


# --- the HTML ---


def _attr(value) -> str:
    return html.escape(str(value), quote=True)


def _control_html(uid: str, position: int, control: dict) -> str:
    """One labelled native control; its value is the index into the grid."""
    ident = f"{uid}-{position}"
    label = f'<label for="{ident}">{html.escape(control["description"])}</label>'
    common = (
        f'id="{ident}" data-control="{_attr(control["name"])}" '
        f'data-position="{position}"'
    )
    labels, default = control["labels"], control["default"]
    if control["kind"] == "checkbox":
        checked = " checked" if default == 1 else ""
        element = f'<input type="checkbox" {common}{checked}>'
        return f'<span class="convbn-player-control">{element}{label}</span>'
    if control["kind"] == "range":
        element = (
            f'<input type="range" {common} min="0" max="{len(labels) - 1}" step="1" '
            f'value="{default}" aria-valuetext="{_attr(labels[default])}">'
            f'<output for="{ident}">{html.escape(labels[default])}</output>'
        )
        return f'<span class="convbn-player-control">{label}{element}</span>'
    options = "".join(
        f'<option value="{index}"{" selected" if index == default else ""}>'
        f"{html.escape(text)}</option>"
        for index, text in enumerate(labels)
    )
    element = f"<select {common}>{options}</select>"
    return f'<span class="convbn-player-control">{label}{element}</span>'


def player_html(
    uid: str,
    controls: list[dict],
    states: dict[tuple[int, ...], int],
    frames: list[dict],
    caption: str,
    plot: dict | None = None,
) -> str:
    """The player's HTML.

    ``controls``: per control, ``name`` (the plot function's keyword), ``description``
    (the visible label), ``kind`` (``"select"``, ``"range"`` or ``"checkbox"``),
    ``labels`` (the text of each grid value) and ``default`` (an index).
    ``states`` maps each precomputed state (a tuple of indices) to an index into
    ``frames``; each frame has ``uri`` (a ``data:`` URI), ``alt``, ``state`` and
    ``values`` (the visible value of each control, by description). ``plot`` (or
    None) names the plot function and its keyword values per state, for tests that
    redraw a frame.
    """
    defaults = [control["default"] for control in controls]
    first = states[tuple(defaults)]
    manifest = {
        "defaults": defaults,
        "labels": [control["labels"] for control in controls],
        "names": [control["name"] for control in controls],
        "states": {",".join(map(str, key)): frame for key, frame in states.items()},
    }
    if plot is not None:
        manifest["plot"] = plot
    data = json.dumps(manifest, separators=(",", ":")).replace("</", "<\\/")
    images = "".join(
        f'<img class="convbn-player-frame" src="{frame["uri"]}" '
        f'alt="{_attr(frame["alt"])}" data-state="{_attr(frame["state"])}" '
        f'data-values="{_attr(json.dumps(frame["values"], ensure_ascii=False))}"'
        f"{'' if index == first else ' hidden'}>"
        for index, frame in enumerate(frames)
    )
    inputs = "".join(
        _control_html(uid, position, control)
        for position, control in enumerate(controls)
    )
    start = f'window.convbnPlayer(document.getElementById("{uid}"));'
    return (
        f"<style>{CSS.strip()}</style>"
        f'<figure class="convbn-player" id="{uid}" '
        f'data-state="{",".join(map(str, defaults))}">'
        f'<div class="convbn-player-controls">{inputs}</div>'
        f"{images}"
        f"<figcaption>{html.escape(caption)}</figcaption>"
        f'<script type="application/json" class="convbn-player-data">{data}</script>'
        f"<script>{JS.strip()}\n{start}</script>"
        "</figure>"
    )
