"""The built frames of the players whose plot has data bound to it (after the build).

    jupyter-book build .
    python -m pytest -m browser tests/book/test_player_frames.py

Four players draw data that a training run in the notebook made (chapter 9's
Figure 1 and learning-rate sweep, chapter 11's optimizer curves, chapter 12's
feature maps). Their manifests carry no keyword values to redraw them from (the data
is not in the page), so ``test_players_in_browser.py`` cannot compare their frames
with the plot function; the unit tests do, on sample data only. During the build each
of them records its data and states in ``_build/players/<uid>.pickle``
(``convbn.widgets.PLAYER_DATA_ENV``); here every frame of every such player in the
built pages is compared, pixel for pixel, with its plot function's figure drawn
afresh from that data.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import re
from html import unescape

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image
from test_browser import HTML, pages, require_book

from convbn import plotting, widgets

pytestmark = pytest.mark.browser

RECORDS = HTML.parent / "players"
PLAYER = re.compile(r'<figure class="convbn-player" id="([^"]+)".*?</figure>', re.S)
FRAME = re.compile(r'<img class="convbn-player-frame" src="([^"]+)"')
MANIFEST = re.compile(
    r'<script type="application/json" class="convbn-player-data">(.*?)</script>', re.S
)


def built_players() -> dict[str, dict]:
    """Every player of the built pages, by id: its manifest and its frames' sources."""
    found = {}
    for page in pages():
        for match in PLAYER.finditer(page.read_text()):
            block = match.group(0)
            data = json.loads(MANIFEST.search(block).group(1).replace("<\\/", "</"))
            sources = [unescape(src) for src in FRAME.findall(block)]
            found[match.group(1)] = {"page": page, "data": data, "frames": sources}
    return found


def pixels(src: str) -> np.ndarray:
    data = base64.b64decode(src.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def drawn(fig) -> np.ndarray:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=widgets.FRAME_DPI)
    plt.close(fig)
    return np.asarray(Image.open(buffer).convert("RGBA"))


def test_every_data_bound_player_of_the_book_is_recorded():
    require_book()
    players = built_players()
    bound = {uid for uid, player in players.items() if "plot" not in player["data"]}
    recorded = {path.stem for path in RECORDS.glob("*.pickle")}
    print(f"\n{len(bound)} players with data bound to their plot in the book")
    assert len(bound) >= 4  # Figure 1, the learning rates, optimizers, feature maps
    assert bound <= recorded, f"no record of {sorted(bound - recorded)}"


@pytest.mark.parametrize(
    "record", sorted(RECORDS.glob("*.pickle")), ids=lambda path: path.stem
)
def test_every_frame_of_a_data_bound_player_is_its_plot(record):
    players = built_players()
    saved = pickle.loads(record.read_bytes())
    if saved["uid"] not in players:
        pytest.skip("a record of an earlier build: no page shows this player")
    player = players[saved["uid"]]
    assert set(saved["kwargs"]) == set(player["data"]["states"])
    with mpl.rc_context(plotting.STYLE):
        for state, frame in player["data"]["states"].items():
            np.testing.assert_array_equal(
                pixels(player["frames"][frame]),
                drawn(widgets.redraw(saved, state)),
                err_msg=f"{saved['function']} at state {state} ({player['page'].name})",
            )
    print(f"\n{saved['function']}: {len(saved['kwargs'])} states redrawn")
