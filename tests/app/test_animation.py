"""The backward pass as an animation (POST /api/render, formats gif and apng), with real Graphviz and Pillow:
one frame per view step plus the opening one, what each frame says, and the bounds, refused before drawing."""

import io
import json

import pytest
from PIL import Image, ImageChops, ImageSequence

from app import animation
from app.animation import Story, animate, grad_so_far
from app.examples import EXAMPLES, EXAMPLES_BY_ID
from app.graph import GraphOptions, build_graph
from app.layout import run_dot
from app.limits import MAX_ANIMATION_FRAMES, MAX_ANIMATION_HEIGHT_PX, MAX_ANIMATION_WIDTH_PX
from app.number_format import format_value
from app.view import build_view

DIAMOND = EXAMPLES_BY_ID["diamond"].source
CHAIN_300 = "x = 1.0\ny = x\nfor i in range(300):\n    y = y * x"


def steps_of(source: str) -> int:
    return len(build_view(build_graph(source))["steps"])


SMALL_EXAMPLES = [e.id for e in EXAMPLES if steps_of(e.source) <= 40]


def frames_of(data: bytes) -> list[Image.Image]:
    return [frame.convert("RGB") for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data)))]


def differ(a: Image.Image, b: Image.Image) -> bool:
    return ImageChops.difference(a, b).getbbox() is not None


def story(source: str, mode: str = "correct") -> Story:
    graph = build_graph(source, None, GraphOptions(mode=mode))
    return Story(graph, build_view(graph), source)


def test_the_small_examples_are_most_of_the_gallery():
    assert {"diamond", "neuron", "mlp", "micrograd-neuron", "micrograd-more-ops"} <= set(SMALL_EXAMPLES)


@pytest.mark.parametrize("example", SMALL_EXAMPLES)
def test_one_frame_per_view_step_plus_the_opening_one(example, monkeypatch):
    # How many frames, not how fast: a loaded test machine must not fail this (the bound on time is
    # run_dot's timeout, the same as for any drawing)
    monkeypatch.setattr(animation, "LAYOUT_TIMEOUT_S", 60)
    source = EXAMPLES_BY_ID[example].source
    frames = frames_of(animate(build_graph(source), None, "gif", source))
    assert len(frames) == steps_of(source) + 1
    assert len({frame.size for frame in frames}) == 1
    width, height = frames[0].size
    assert 200 <= width <= MAX_ANIMATION_WIDTH_PX and 100 <= height <= MAX_ANIMATION_HEIGHT_PX
    assert differ(frames[0], frames[-1])


def test_gif_through_the_api(client):
    response = client.post("/api/render", json={"source": DIAMOND, "format": "gif"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/gif"
    assert response.headers["content-disposition"] == 'inline; filename="graph.gif"'
    gif = Image.open(io.BytesIO(response.content))
    assert gif.format == "GIF" and gif.info["loop"] == 0
    frames = frames_of(response.content)
    assert len(frames) == 5  # L, (a - c), (a*b + c), a*b fire
    assert 300 <= gif.width <= 1200 and 150 <= gif.height <= 600
    assert all(differ(a, b) for a, b in zip(frames, frames[1:], strict=False))
    assert frames[0].getpixel((2, 2)) == (255, 255, 255)  # the shared palette keeps white white


def test_apng_through_the_api(client):
    response = client.post("/api/render", json={"source": DIAMOND, "format": "apng"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/apng"
    assert response.headers["content-disposition"] == 'inline; filename="graph.png"'
    apng = Image.open(io.BytesIO(response.content))
    assert apng.format == "PNG" and apng.is_animated and apng.n_frames == 5
    frames = frames_of(response.content)
    assert differ(frames[0], frames[-1])


def test_too_many_steps_are_refused_before_drawing(client, monkeypatch):
    def no_graphviz(*args, **kwargs):
        raise AssertionError("Graphviz was started for an animation past its bounds")

    monkeypatch.setattr(animation, "run_dot", no_graphviz)
    assert client.post("/api/graph", json={"source": CHAIN_300, "layout": False}).status_code == 200  # evaluated
    response = client.post("/api/render", json={"source": CHAIN_300, "format": "gif"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["kind"] == "limit"
    assert "300 steps" in error["message"] and "MAX_ANIMATION_FRAMES" in error["message"]
    assert str(MAX_ANIMATION_FRAMES) in error["message"]


def test_too_many_boxes_are_refused_before_drawing(monkeypatch):
    monkeypatch.setattr(animation, "MAX_ANIMATION_BOXES", 5)
    monkeypatch.setattr(animation, "run_dot", None)  # never reached
    with pytest.raises(animation.LayoutUnavailable, match="7 boxes.*MAX_ANIMATION_BOXES"):
        animate(build_graph(DIAMOND), None, "gif", DIAMOND)


def test_a_drawing_too_big_to_read_is_refused_after_its_layout_only(monkeypatch):
    formats = []

    def counted(source, fmt, timeout_s):
        formats.append(fmt)
        return real_run_dot(source, fmt, timeout_s=timeout_s)

    real_run_dot = animation.run_dot
    monkeypatch.setattr(animation, "run_dot", counted)
    monkeypatch.setattr(animation, "MAX_ANIMATION_PIXELS", 100_000)
    with pytest.raises(animation.LayoutUnavailable, match="MAX_ANIMATION_PIXELS.*MIN_ANIMATION_DPI"):
        animate(build_graph(DIAMOND), None, "gif", DIAMOND)
    assert "png" not in formats  # laid out (left to right, then top to bottom), no frame drawn


@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_the_animation_is_laid_out_as_the_page_shows_it(direction, monkeypatch):
    """The diamond is drawn large either way: the direction asked for is the one used."""
    monkeypatch.setattr(animation, "LAYOUT_TIMEOUT_S", 60)
    diamond = story(DIAMOND)
    positions = animation.lay_out(diamond, diamond.frames(), deadline=float("inf"), direction=direction)
    assert positions["rankdir"] == direction
    assert positions["dpi"] >= animation.DPI


def test_captions_say_what_fires_and_what_it_sends():
    captions = [" ".join(frame.caption).strip() for frame in story(DIAMOND).frames()]
    assert captions[0] == "Backward pass from L: dL/dL = 1; every other gradient is still unknown (?)"
    assert captions[1] == "L fires: sends -2 to (a*b + c), 10 to (a - c)"
    assert captions[2] == "(a - c) fires: sends 10 to a, -10 to c"
    assert captions[3] == "(a*b + c) fires: sends -2 to a*b, -2 to c (sum now -12)"
    assert captions[4].startswith("a*b fires: sends -6 to a (sum now 4), -4 to b.")
    assert captions[4].endswith("the backward pass is done")


def test_gradients_as_known_so_far():
    frames = story(DIAMOND).frames()
    assert frames[0].grads == {"n0": "grad ?", "n1": "grad ?", "n2": "grad ?", "n3": "grad ?", "n4": "grad ?",
                               "n5": "grad ?", "n6": "grad 1"}
    assert frames[1].firing == "n6" and frames[1].grads["n4"] == "grad -2" and frames[1].grads["n0"] == "grad ?"
    assert frames[3].grads["n2"] == "grad Σ (-10) + (-2) = -12"
    assert frames[4].grads["n0"] == "grad Σ 10 + (-6) = 4"
    assert frames[4].edge_labels == {"v0": "-6", "v1": "-4", "v2": "-2", "v3": "-2", "v4": "10", "v5": "-10",
                                     "v6": "-2", "v7": "10"}
    assert frames[4].sent == {"v0", "v1"}


def test_the_overwrite_bug_is_shown_as_one():
    last = story(DIAMOND, "overwrite").frames()[-1]
    assert last.grads["n2"] == "grad -2 (overwrote -10)"
    assert "-6 to a (overwriting 10, not adding)" in " ".join(last.caption)


def test_a_long_sum_is_cut():
    events = [{"contribution": 1.0, "grad_before": None if i == 0 else float(i), "grad_after": float(i + 1),
               "accumulated": i > 0} for i in range(6)]
    assert grad_so_far(events) == "grad Σ 1 + 1 + 1 + … (6 terms) = 6"


@pytest.mark.parametrize("example", [e.id for e in EXAMPLES])
def test_the_last_frame_shows_the_engines_gradients(example):
    source = EXAMPLES_BY_ID[example].source
    graph = build_graph(source)
    nodes = {n["id"]: n for n in graph["nodes"]}
    last = Story(graph, build_view(graph), source).frames()[-1]
    for node, text in last.grads.items():
        grad = format_value(nodes[node]["grad"])
        if text != "grad ?":  # 'grad 4', 'grad Σ 10 + (-6) = 4', 'grad [4, 4, 4] (Σ of 4)'
            assert text == f"grad {grad}" or text.endswith(f" = {grad}") or text.startswith(f"grad {grad} ("), \
                (node, text)


def test_user_text_reaches_graphviz_escaped_only():
    source = ('from micrograd.engine import Value\na = Value(2.0, label=\'<IMG SRC="/etc/passwd"/>\')\n'
              'b = Value(3.0, label=\'x\\\\" ] n9 [label="y\')\nL = a * b\nL.label = \'<b>\'')
    graph = build_graph(source)
    view = build_view(graph)
    the_story = Story(graph, view, source)
    for frame in the_story.frames():
        text = animation.FrameDrawing(the_story, frame, "LR").source()
        assert "=<" not in text  # no HTML-like label anywhere
        drawn = json.loads(run_dot(text, "json"))
        assert {o["name"] for o in drawn["objects"]} == {box["id"] for box in view["boxes"]}  # no node added
        assert any(o["label"].startswith("<IMG") for o in drawn["objects"])  # the label, as text
    assert len(frames_of(animate(graph, None, "gif", source))) == 2
