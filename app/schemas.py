"""The public contract of the REST API: requests, responses and the one error shape."""

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.limits import MAX_OPEN_GROUPS

Mode = Literal["correct", "overwrite", "no_unbroadcast", "alias", "no_zero_grad"]
ErrorKind = Literal["syntax", "name", "type", "shape", "domain", "limit", "request", "not_found", "method_not_allowed",
                    "busy", "internal"]

# A number, one of the strings "nan", "inf", "-inf" (JSON has no NaN), a nested list of those, or
# for arrays too large to inline a summary object (see `ArraySummary`).
Scalar = float | Literal["nan", "inf", "-inf"]
Value = Union[Scalar, list, "ArraySummary"]  # noqa: UP007 -- a forward reference cannot be joined with |


class ArraySummary(BaseModel):
    """An array too large to send whole: its shape, range and first entries."""

    summary: Literal[True]
    shape: list[int]
    size: int
    min: Scalar
    max: Scalar
    mean: Scalar
    head: list[Scalar]


GroupId = Annotated[str, StringConstraints(pattern=r"^g[0-9]{1,6}$")]
OpenGroups = Annotated[list[GroupId] | None, Field(max_length=MAX_OPEN_GROUPS, description=(
    "Groups (function calls) to show open; the others are one box each. None: the opening view, which "
    "opens groups outermost first while the view stays small. Unknown ids are ignored, and a group "
    "inside a closed one shows once that one is open too."))]
Direction = Annotated[Literal["LR", "TB"], Field(description=(
    "Which way the layout runs from the inputs to the root: LR left to right (a landscape screen), TB top to "
    "bottom (a portrait one, such as a phone held upright: the page asks for it when its graph pane is "
    "taller than wide)."))]


class ProgramRequest(BaseModel):
    """What to evaluate: the program and how to backpropagate it."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="The program: `name = expr` statements, one per line or separated by `;`.")
    root: str | None = Field(None, max_length=200,
                             description="Variable to backpropagate from; default: the last statement.")
    mode: Mode = "correct"
    max_paths: int = Field(64, ge=0, le=256, description="How many paths per leaf to list, largest first.")
    gradcheck: bool = False
    call: int | None = Field(None, ge=1, le=1_000_000, description=(
        "Which backward() call of a training loop to show, from 1; default: the last."))


class GraphRequest(ProgramRequest):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"source": "a = 2\nb = 3\nc = 4\nL = (a*b + c) * (a - c)", "mode": "correct"}]})

    layout: bool = True
    open: OpenGroups = None
    direction: Direction = "LR"


class ViewRequest(ProgramRequest):
    """Another view of a program just asked for: send the graph request's fields (all but `layout`),
    so the evaluated graph is taken from the cache instead of running the program again."""

    open: OpenGroups = None
    direction: Direction = "LR"


class RenderRequest(GraphRequest):
    format: Literal["svg", "png", "dot", "csv", "md", "gif", "apng"] = Field("svg", description=(
        "A drawing (svg, png, dot) of the view asked for, the backward pass as a step table (csv, md): "
        "one row per event, or the backward pass over the view as an animation (gif, apng): one frame "
        "per view step plus the opening one."))


class ErrorDetail(BaseModel):
    kind: ErrorKind
    message: str
    line: int | None = None
    col: int | None = None
    end_col: int | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


NodeKind = Literal["leaf", "const", "op"]
NodeFlag = Literal["sum", "nan", "inf", "saturated", "unconnected", "shape_mismatch"]


class Group(BaseModel):
    """One function call (or statement) of the program and the nodes it made."""

    id: str
    label: str
    kind: Literal["call", "statement"]
    parent: str | None
    index: int = Field(description="k for the k-th call of this function, from 1.")
    span: list[int] | None = Field(None, description="[line, col, end_col] of the call or statement.")


class Node(BaseModel):
    id: str
    label: str | None
    kind: NodeKind
    op: str | None
    params: dict
    shape: list[int]
    value: Value
    grad: Value | None
    fan_out: int
    flags: list[NodeFlag]
    rule: str | None
    span: list[int] | None = Field(description="[line, col, end_col] of the source that made this node.")
    literal: list[int] | None = Field(None, description=(
        "For a scalar leaf whose number is written in the program: [line, col, end_col] of that number, "
        "so a slider can rewrite it."))
    group: str | None = Field(None, description="The innermost group (function call) the node was made in.")
    grad_array: int | None = Field(None, description=(
        "Only in mode alias: nodes with the same number have their gradients in one piece of memory (one "
        "array, or a reshaped or transposed view of it), so an in-place add to one changes them all."))


class Edge(BaseModel):
    id: str
    source: str
    target: str
    arg: int
    contribution: Value | None
    contribution_raw: Value | None


class InPlaceAdd(BaseModel):
    """Under the alias bug, an in-place add as memory saw it (the event's own arrays are copies made after it)."""

    before: Value = Field(description="The target's gradient before the add.")
    contribution: Value = Field(description="What was added, as it was when added.")
    views: dict[str, Value] = Field(description=(
        "The add changed every gradient of the target's grad_array already made; those laid out "
        "otherwise (a reshaped or transposed view), by node id, with their new gradient in their own shape. "
        "Every other one now holds the event's grad_after."))


class Event(BaseModel):
    edge: str
    to: str
    contribution: Value
    contribution_raw: Value | None
    grad_before: Value | None
    grad_after: Value
    accumulated: bool
    alias: InPlaceAdd | None = Field(None, description=(
        "Only in mode alias, on an event that added to a gradient in place: the values as memory held them."))


class BackwardStep(BaseModel):
    node: str
    grad: Value
    events: list[Event]


class Path(BaseModel):
    nodes: list[str]
    factors: list[Scalar] | None
    value: Value


class LeafPaths(BaseModel):
    count: str = Field(description="Exact number of paths from the leaf to the root, as a decimal string.")
    shown: list[Path]
    truncated: bool
    left_out: str


class SweepPoint(BaseModel):
    eps: float
    max_rel_error: Scalar


class LeafGradcheck(BaseModel):
    numeric: Value
    analytic: Value
    max_rel_error: Scalar
    passed: bool
    sweep: list[SweepPoint]


class Gradcheck(BaseModel):
    eps: float
    leaves: dict[str, LeafGradcheck]
    skipped: str | None = None


class Diagnostics(BaseModel):
    first_nonfinite_forward: str | None
    first_nonfinite_backward: str | None
    unconnected: list[str]
    saturated: list[str]
    grad_norms: dict[str, Scalar]
    messages: list[str]


class NodeBox(BaseModel):
    x: float
    y: float
    width: float
    height: float


class EdgeRoute(BaseModel):
    points: list[list[float]]
    end: list[float] | None


class ClusterBox(BaseModel):
    """An open group's frame: its centre and size, like a box."""

    x: float
    y: float
    width: float
    height: float


class Layout(BaseModel):
    width: float
    height: float
    nodes: dict[str, NodeBox] = Field(description="By box id: node ids and the ids of collapsed groups.")
    edges: dict[str, EdgeRoute] = Field(description="By view edge id.")
    clusters: dict[str, ClusterBox] = Field({}, description="By open group id.")


class ViewBox(BaseModel):
    id: str = Field(description="A node id, or a group id for a collapsed group.")
    kind: Literal["node", "group"]
    parent: str | None = Field(description="The open group the box sits in.")
    label: str | None = None
    index: int | None = None
    outputs: list[str] | None = Field(None, description="Member nodes used outside the group (or the root).")
    members: int | None = Field(None, description="Nodes inside the group, nested groups included.")


class ViewEdge(BaseModel):
    id: str
    source: str
    target: str
    edges: list[str] = Field(description="The graph's edges this one stands for.")
    contribution: Value | None = Field(description="The sum of their contributions; null when it cannot be summed.")


class ViewStep(BaseModel):
    box: str
    first: int = Field(description="backward_steps[first:first+count] fire as this one step.")
    count: int


class View(BaseModel):
    open: list[str]
    boxes: list[ViewBox]
    box_of: dict[str, str]
    folded: dict[str, str] = Field(description="Constants drawn inside their one consumer's box.")
    edges: list[ViewEdge]
    steps: list[ViewStep]
    reason: str | None = Field(description="Why groups are shown closed beyond what was asked.")


class ViewResponse(BaseModel):
    view: View
    layout: Layout | None
    layout_reason: str | None


class HistoryCall(BaseModel):
    call: int
    root_value: Scalar
    line: int
    grad_norm: Scalar = Field(description="Global 2-norm of the leaves' gradients right after the call.")
    grad_norm_clipped: Scalar = Field(description="The same after clip_grad_norm/clip_grad_value, if called.")
    values: list[Scalar] = Field(description="The listed leaves' values when the call ran, in `leaves` order.")
    grads: list[Scalar] = Field(description="The listed leaves' gradients after the call (and clipping).")


class History(BaseModel):
    calls: list[HistoryCall]
    leaves: list[str] = Field(description="Node ids of the leaves each call lists (the first ones made).")
    total_calls: int
    left_out_calls: int
    left_out_leaves: int


class Compare(BaseModel):
    correct: dict[str, Value | None]
    differs: list[str]
    history: History | None = Field(None, description="The correct run's history, for no_zero_grad.")


class GraphResponse(BaseModel):
    root: str
    root_label: str | None
    mode: Mode
    seeded_with_ones: bool
    nodes: list[Node]
    edges: list[Edge]
    forward_order: list[str]
    backward_steps: list[BackwardStep]
    paths: dict[str, LeafPaths]
    gradcheck: Gradcheck | None
    diagnostics: Diagnostics
    layout: Layout | None
    layout_reason: str | None
    compare: Compare | None
    groups: list[Group] = []
    output: list[str] = []
    view: View | None = None
    history: History | None = Field(None, description="One entry per backward() call of the program, if any.")
    call: int | None = Field(None, description="The backward() call whose graph this is, for a training loop.")
    reduced: list[str] = Field([], description="What was left out to keep the answer within MAX_RESPONSE_BYTES.")


class Example(BaseModel):
    id: str
    title: str
    source: str
    note: str
