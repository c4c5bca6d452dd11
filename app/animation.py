"""The backward pass as an animated GIF or APNG, for slides: the static drawing of a view (app/render.py),
once before the pass and once after each view step, with the box that fires, what it sends and the
gradients known so far marked, and a caption saying what happened.

Nothing moves between frames: the view is laid out once by `dot` with every text as wide as it ever
gets, and each frame is drawn on those positions by Graphviz's `nop2` engine (positions and edge
routes given, no layout), all frames in one `dot` run. Pillow pads and encodes them.
"""

import io
import json
import math
import struct
import textwrap
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from app.layout import LayoutUnavailable, run_dot
from app.limits import (
    LAYOUT_TIMEOUT_S,
    MAX_ANIMATION_BOXES,
    MAX_ANIMATION_FRAMES,
    MAX_ANIMATION_HEIGHT_PX,
    MAX_ANIMATION_PIXELS,
    MAX_ANIMATION_WIDTH_PX,
    MIN_ANIMATION_DPI,
)
from app.number_format import format_compact, format_term, format_value
from app.render import FONT, ViewDrawing, call_name, label
from app.view import build_view, sum_contributions

MEDIA_TYPES = {"gif": "image/gif", "apng": "image/apng"}
DPI = 96
PAD_IN = 0.15  # white margin around the drawing, in inches
POINTS_PER_INCH = 72
FIRE_COLOR, FIRE_FILL = "#dc2626", "#fecaca"  # red: what happens now (brown SUM_COLOR marks summing nodes)
EARLIER_COLOR = "#64748b"
BOLD_FONT = f"{FONT} Bold"
OPENING_MS, STEP_MS, LAST_MS = 2000, 1600, 4000
CAPTION_CHARS = 80  # a caption line wraps here
CAPTION_TARGETS = 4  # inputs a caption names before "and k more"
SUM_TERMS = 3  # terms of a running sum written out
PALETTE_SPACING = 11  # between two colours of a GIF's palette: more than twice a cache cell's diagonal (2 * 5.2)
SHORT_TEXT = 16  # source text longer than this names a node by its op (the page allows 24; a title widens a box)


@dataclass
class Frame:
    """One moment of the pass, in the words and numbers the drawing shows."""

    firing: str | None  # the box that fires
    sent: set[str]  # view edges it sends along
    edge_labels: dict[str, str]  # view edge -> what it has carried so far
    grads: dict[str, str]  # node -> its grad line, for every node a box shows
    caption: list[str]  # lines


def instead(graph: dict[str, Any]) -> str:
    """What to ask for instead of an animation past its bounds."""
    if graph.get("groups"):
        return "Close function calls (a closed call is one box and fires as one step), or export "
    return "Export "


def check_bounds(graph: dict[str, Any], view: dict[str, Any]) -> None:
    """Refuse, before drawing anything, a view whose animation would be too long or too crowded."""
    frames = len(view["steps"]) + 1
    if frames > MAX_ANIMATION_FRAMES:
        raise LayoutUnavailable(
            f"the backward pass of this view has {len(view['steps'])} steps, so {frames} frames; an animation has "
            f"at most {MAX_ANIMATION_FRAMES} (MAX_ANIMATION_FRAMES). {instead(graph)}the step table (csv, md)")
    if len(view["boxes"]) > MAX_ANIMATION_BOXES:
        raise LayoutUnavailable(
            f"this view has {len(view['boxes'])} boxes; an animation draws at most {MAX_ANIMATION_BOXES} "
            f"(MAX_ANIMATION_BOXES). {instead(graph)}one drawing (svg) or the step table (csv, md)")


def numbers(value: Any) -> np.ndarray | None:
    """A value of the record as an array; None for an array summary."""
    try:  # "nan", "inf" and "-inf" are how JSON spells those floats; float() reads them back
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def summed(event: dict[str, Any]) -> bool:
    """Whether a contribution was added to the gradient already there (grad after = before + it), not
    written over it as the 'overwrite' bug does."""
    before, contribution, after = (numbers(event[k]) for k in ("grad_before", "contribution", "grad_after"))
    if before is None or contribution is None or after is None:
        return bool(event["accumulated"])  # a summary: trust the record
    try:
        with np.errstate(all="ignore"):
            return bool(np.allclose(before + contribution, after, equal_nan=True))
    except ValueError:  # shapes that do not broadcast (the 'no unbroadcast' bug): not a sum
        return False


def grad_so_far(events: list[dict[str, Any]]) -> str:
    """A gradient as the pass has built it so far: '?' before anything arrived, the running sum once
    two or more contributions were added (Σ (-10) + (-2) = -12, negative terms bracketed as on the page),
    and an overwrite said as one."""
    if not events:
        return "grad ?"
    terms: list[Any] = []
    overwritten = None
    for event in events:
        before = event["grad_before"]
        if before is not None and summed(event):
            left = numbers(before)
            if not terms and (left is None or left.any()):  # left by an earlier backward call, not zeroed
                terms.append(before)
            terms.append(event["contribution"])
        else:
            overwritten = before
            terms = [event["contribution"]]
    total = format_value(events[-1]["grad_after"])
    if len(terms) == 1:
        return f"grad {total}" + (f" (overwrote {format_value(overwritten)})" if overwritten is not None else "")
    if all(isinstance(t, (float, str)) for t in terms):  # scalars ("nan" and "inf" are strings)
        shown = " + ".join(format_term(t) for t in terms[:SUM_TERMS])
        more = f" + … ({len(terms)} terms)" if len(terms) > SUM_TERMS else ""
        return f"grad Σ {shown}{more} = {total}"
    return f"grad {total} (Σ of {len(terms)})"


class Story:
    """The frames of the backward pass over a view, from the graph record's backward_steps."""

    def __init__(self, graph: dict[str, Any], view: dict[str, Any], source: str | None) -> None:
        self.graph, self.view = graph, view
        self.nodes = {n["id"]: n for n in graph["nodes"]}
        self.groups = {g["id"]: g for g in graph.get("groups") or []}
        self.lines = source.splitlines() if source else []
        self.view_edge = {e: v["id"] for v in view["edges"] for e in v["edges"]}
        self.input_box = {v["id"]: v["source"] for v in view["edges"]}
        self.shown_nodes = [n for box in view["boxes"]
                            for n in (box["outputs"] if box["kind"] == "group" else [box["id"]])]

    def frames(self) -> list[Frame]:
        steps = self.graph["backward_steps"]
        received: dict[str, list[dict[str, Any]]] = {}  # node -> the events that reached it so far
        carried: dict[str, list[Any]] = {}  # view edge -> the contributions it carried so far
        root = self.box_name(self.graph["root"])
        frames = [self.frame(None, set(), received, carried,
                             f"Backward pass from {root}: d{root}/d{root} = {format_value(self.root_grad())}; every "
                             "other gradient is still unknown (?)")]
        for k, view_step in enumerate(self.view["steps"], 1):
            sent: dict[str, list[dict[str, Any]]] = {}  # view edge -> the events along it in this step
            for step in steps[view_step["first"]:view_step["first"] + view_step["count"]]:
                for event in step["events"]:
                    received.setdefault(event["to"], []).append(event)
                    edge = self.view_edge.get(event["edge"])
                    if edge is not None:  # drawn between two boxes, not inside a closed call
                        sent.setdefault(edge, []).append(event)
                        carried.setdefault(edge, []).append(event["contribution"])
            caption = self.caption(view_step["box"], sent)
            if k == len(self.view["steps"]):
                caption += ". Every gradient is known: the backward pass is done"
            frames.append(self.frame(view_step["box"], set(sent), received, carried, caption))
        lines = max(len(frame.caption) for frame in frames)
        for frame in frames:  # as many lines each, so that every caption starts at the same height
            frame.caption += [" "] * (lines - len(frame.caption))
        return frames

    def frame(self, firing: str | None, sent: set[str], received: dict[str, list[dict[str, Any]]],
              carried: dict[str, list[Any]], caption: str) -> Frame:
        root = self.graph["root"]
        grads = {n: grad_so_far(received.get(n, [])) for n in self.shown_nodes}
        if root in grads and root not in received:  # the seed: known before anything fires
            grads[root] = f"grad {format_value(self.root_grad())}"
        edge_labels = {edge: format_compact(sum_contributions(values)) for edge, values in carried.items()}
        return Frame(firing, sent, edge_labels, grads, textwrap.wrap(caption, CAPTION_CHARS))

    def root_grad(self) -> Any:
        steps = self.graph["backward_steps"]
        if steps and steps[0]["node"] == self.graph["root"]:
            return steps[0]["grad"]
        return self.nodes[self.graph["root"]]["grad"]

    def caption(self, box: str, sent: dict[str, list[dict[str, Any]]]) -> str:
        """'L fires: sends -2 to (a*b + c), 10 to (a - c)', with a gradient summed or overwritten said so."""
        if not sent:
            return f"{self.box_name(box)} fires: it sends nothing to another box"
        parts = []
        for edge, events in list(sent.items())[:CAPTION_TARGETS]:
            value = sum_contributions([e["contribution"] for e in events])
            part = f"{format_value(value)} to {self.box_name(self.input_box[edge])}"
            last = events[-1]
            if last["grad_before"] is not None:
                part += f" (sum now {format_value(last['grad_after'])})" if summed(last) else \
                    f" (overwriting {format_value(last['grad_before'])}, not adding)"
            parts.append(part)
        if len(sent) > CAPTION_TARGETS:
            parts.append(f"and {len(sent) - CAPTION_TARGETS} more")
        return f"{self.box_name(box)} fires: sends " + ", ".join(parts)

    def box_name(self, box: str) -> str:
        """A box's (or node's) name as a person would say it: a label, short source text, else its op; a
        call's name."""
        if box in self.groups:
            return call_name(self.groups[box])
        node = self.nodes[box]
        text = self.span_text(node)
        if node["label"] or not text:
            return str(node["label"] or node["op"] or node["kind"])
        return f"({text})" if " " in text else text

    def span_text(self, node: dict[str, Any]) -> str | None:
        """The source text an op came from, when its span is on one line and short."""
        if node["kind"] != "op" or not node.get("span"):
            return None
        line, col, end_col = node["span"]
        if not 0 < line <= len(self.lines) or end_col <= col:
            return None
        text = self.lines[line - 1][col - 1:end_col - 1].strip()
        return text if 0 < len(text) <= SHORT_TEXT else None


class FrameDrawing(ViewDrawing):
    """The static drawing of a view at one moment of the pass, drawn on positions laid out beforehand
    (`positions` None: the drawing that is laid out)."""

    def __init__(self, story: Story, frame: Frame, rankdir: str, positions: dict[str, Any] | None = None) -> None:
        super().__init__(story.graph, story.view, rankdir)
        self.story, self.frame, self.positions = story, frame, positions

    def graph_attrs(self) -> dict[str, str]:
        attrs = {"label": label(self.frame.caption), "labelloc": "b", "fontsize": "13",
                 "bgcolor": "white", "pad": str(PAD_IN)}
        if self.positions is None:
            return attrs
        return {**attrs, "layout": "nop2", "bb": self.positions["bb"], "lp": self.positions["lp"],
                "dpi": f"{self.positions['dpi']:.1f}"}

    def frame_attrs(self, group_id: str) -> dict[str, str]:
        return {} if self.positions is None else self.positions["clusters"].get(group_id, {})

    def box_attrs(self, box_id: str) -> dict[str, str]:
        attrs = {} if self.positions is None else {**self.positions["boxes"][box_id], "fixedsize": "true"}
        if box_id == self.frame.firing:
            attrs.update(color=FIRE_COLOR, fillcolor=FIRE_FILL, penwidth="4")
        return attrs

    def title(self, node: dict[str, Any]) -> str:
        """An unlabelled op is titled by its source text too, as captions name it: 'a*b + c  (add)'."""
        text = self.story.span_text(node)
        return f"{text}  ({node['op']})" if text and not node["label"] else super().title(node)

    def grad_text(self, node_id: str) -> str:
        return self.frame.grads[node_id]

    def edge_attrs(self, edge: dict[str, Any]) -> dict[str, str]:
        attrs = {"id": edge["id"], "fontsize": "10", "label": self.frame.edge_labels.get(edge["id"], "")}
        if self.positions is not None:
            attrs.update(self.positions["edges"][edge["id"]])
        if edge["id"] in self.frame.sent:
            attrs.update(color=FIRE_COLOR, fontcolor=FIRE_COLOR, fontname=BOLD_FONT, penwidth="2.5")
        else:
            attrs.update(fontcolor=EARLIER_COLOR, fontname=FONT)
        return attrs


def widest(texts: list[str]) -> str:
    return max(texts, key=len)


def sizing_frame(frames: list[Frame]) -> Frame:
    """A frame with every text as wide as it gets in any frame (edge labels bold), to lay out once."""
    edges = {edge for frame in frames for edge in frame.edge_labels}
    lines = widest([line for frame in frames for line in frame.caption])
    return Frame(None, edges, {edge: widest([f.edge_labels.get(edge, "") for f in frames]) for edge in edges},
                 {node: widest([f.grads[node] for f in frames]) for node in frames[0].grads},
                 [" ", *[lines] * len(frames[0].caption)])  # a blank line above the caption


def parse_positions(out: dict[str, Any]) -> dict[str, Any]:
    """Where `dot` put every box, edge, edge label, frame and the caption: what `nop2` draws from."""
    boxes, clusters = {}, {}
    for obj in out.get("objects", []):
        if obj["name"].startswith("cluster_"):
            clusters[obj["name"][len("cluster_"):]] = {k: obj[k] for k in ("bb", "lp") if k in obj}
        else:
            boxes[obj["name"]] = {k: obj[k] for k in ("pos", "width", "height")}
    edges = {e["id"]: {k: e[k] for k in ("pos", "lp") if k in e} for e in out.get("edges", [])}
    return {"bb": out["bb"], "lp": out.get("lp", "0,0"), "boxes": boxes, "clusters": clusters, "edges": edges}


def inches(bb: str) -> tuple[float, float]:
    """The size of a frame with this bounding box (points), margins included."""
    _, _, width, height = (float(v) for v in bb.split(","))
    return width / POINTS_PER_INCH + 2 * PAD_IN, height / POINTS_PER_INCH + 2 * PAD_IN


def frame_dpi(bb: str, frames: int) -> float:
    """The resolution frames are drawn at: DPI, or less so that a frame fits the frame bounds and all
    frames together the pixel bound (rounded down to what Graphviz is given)."""
    width, height = inches(bb)
    dpi = min(DPI, MAX_ANIMATION_WIDTH_PX / width, MAX_ANIMATION_HEIGHT_PX / height,
              math.sqrt(MAX_ANIMATION_PIXELS / (frames * width * height)))
    return math.floor(dpi * 10) / 10


def lay_out(story: Story, frames: list[Frame], deadline: float, direction: str = "LR") -> dict[str, Any]:
    """Where every box goes, laid out in `direction` (as the page shows it), or the other way when that
    draws it larger (a long chain is narrower standing up); with the resolution the frames are drawn at."""
    sizing = sizing_frame(frames)
    best: dict[str, Any] | None = None
    for rankdir in sorted(("LR", "TB"), key=lambda d: d != direction):
        source = FrameDrawing(story, sizing, rankdir).source()
        # "json", not the page's "json0": Graphviz runs for drawings wait behind the page's layouts
        out = run_dot(source, "json", timeout_s=max(0.1, min(LAYOUT_TIMEOUT_S, deadline - time.monotonic())))
        positions = {**parse_positions(json.loads(out)), "rankdir": rankdir}
        positions["dpi"] = frame_dpi(positions["bb"], len(frames))
        if best is None or positions["dpi"] > best["dpi"]:
            best = positions
        if best["dpi"] >= DPI:
            break
    assert best is not None
    if best["dpi"] < MIN_ANIMATION_DPI:
        width, height = inches(best["bb"])
        raise LayoutUnavailable(
            f"this view's drawing is {width:.1f} x {height:.1f} inches: {len(frames)} frames of it within "
            f"{MAX_ANIMATION_WIDTH_PX} x {MAX_ANIMATION_HEIGHT_PX} pixels each (MAX_ANIMATION_WIDTH_PX, "
            f"MAX_ANIMATION_HEIGHT_PX) and {MAX_ANIMATION_PIXELS:,} pixels in all (MAX_ANIMATION_PIXELS) would be "
            f"drawn at {best['dpi']:g} dpi, too small to read (MIN_ANIMATION_DPI is {MIN_ANIMATION_DPI}). "
            f"{instead(story.graph)}one drawing (svg) or the step table (csv, md)")
    return best


def split_pngs(data: bytes) -> list[bytes]:
    """The PNG files `dot` wrote one after another: each is a signature then chunks up to IEND."""
    files, start, at = [], 0, 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        at += 12 + length  # length, type, data, CRC
        if kind == b"IEND":
            files.append(data[start:at])
            start, at = at, at + 8
    return files


def spread_colours(colours: list[Any]) -> np.ndarray:
    """Up to 256 of `colours` (most used first), each at least PALETTE_SPACING from the ones before.

    Pillow maps a pixel to the palette through a cache of 64 levels a channel, by the nearest entry
    to the cache cell rather than to the pixel: with entries this far apart a pixel of an entry's
    exact colour (the white background, a fill) still gets that entry, not a neighbour of it.
    """
    chosen = np.zeros((256, 3))
    count = 0
    for colour in colours:
        if count == 256:
            break
        if count == 0 or np.min(np.sum((chosen[:count] - colour) ** 2, axis=1)) > PALETTE_SPACING ** 2:
            chosen[count] = colour
            count += 1
    return chosen[:count].astype(np.uint8)


def encode(images: list[Image.Image], fmt: str) -> bytes:
    """Frames padded to one size (white), as an animation looping forever.

    A GIF has 256 colours a frame: all frames share one palette, the colours most used in the first
    and the last frame (every fill, border and text colour exactly, then the most common shades of
    their anti-aliased edges), mapped without dithering so flat fills stay flat. One palette for all
    frames instead of one each (Pillow's default) is 3-4x faster, and white stays white.
    """
    width, height = max(im.width for im in images), max(im.height for im in images)
    frames = []
    for im in images:
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(im.convert("RGB"), (0, 0))
        frames.append(canvas)
    if fmt == "gif":
        used: dict[Any, int] = {}
        for frame in (frames[0], frames[-1]):
            for count, colour in frame.getcolors(width * height) or []:
                used[colour] = used.get(colour, 0) + count
        palette = Image.new("P", (1, 1))
        palette.putpalette(spread_colours(sorted(used, key=used.__getitem__, reverse=True)).flatten().tolist())
        frames = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    durations = ([OPENING_MS] + [STEP_MS] * (len(frames) - 2) + [LAST_MS])[-len(frames):]
    out = io.BytesIO()
    frames[0].save(out, format="GIF" if fmt == "gif" else "PNG", save_all=True, append_images=frames[1:],
                   duration=durations, loop=0)
    return out.getvalue()


def animate(graph: dict[str, Any], open: set[str] | None, fmt: str, source: str | None = None,
            direction: str = "LR") -> bytes:
    """The backward pass over the view with `open` open (None: the opening view) as a GIF or APNG, laid out
    in `direction` when it fits (see lay_out); raises LayoutUnavailable when the view is past the animation
    bounds or Graphviz fails."""
    deadline = time.monotonic() + LAYOUT_TIMEOUT_S * 2  # what any other drawing may take
    view = build_view(graph, open)
    check_bounds(graph, view)
    story = Story(graph, view, source)
    frames = story.frames()

    positions = lay_out(story, frames, deadline, direction)
    sources = [FrameDrawing(story, frame, positions["rankdir"], positions).source() for frame in frames]
    return encode([Image.open(io.BytesIO(png)) for png in draw_frames(sources, deadline)], fmt)


def draw_frames(sources: list[str], deadline: float) -> list[bytes]:
    """Every frame as PNG, in order, from one `dot` run that draws them all (starting `dot` costs more
    than drawing a small frame), done by the deadline."""
    return split_pngs(run_dot("\n".join(sources), "png", timeout_s=max(0.1, deadline - time.monotonic())))
