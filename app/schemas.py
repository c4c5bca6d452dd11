"""The public contract of the REST API: requests, responses and the one error shape."""

from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["correct", "overwrite", "no_unbroadcast", "alias"]
ErrorKind = Literal["syntax", "name", "type", "shape", "domain", "limit", "request", "not_found", "method_not_allowed",
                    "internal"]

# A number, one of the strings "nan", "inf", "-inf" (JSON has no NaN), a nested list of those, or
# for arrays too large to inline a summary object (see `ArraySummary`).
Scalar = Union[float, Literal["nan", "inf", "-inf"]]
Value = Union[Scalar, list, "ArraySummary"]


class ArraySummary(BaseModel):
    """An array too large to send whole: its shape, range and first entries."""

    summary: Literal[True]
    shape: list[int]
    size: int
    min: Scalar
    max: Scalar
    mean: Scalar
    head: list[Scalar]


class GraphRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"source": "a = 2\nb = 3\nc = 4\nL = (a*b + c) * (a - c)", "mode": "correct"}]})

    source: str = Field(description="The program: `name = expr` statements, one per line or separated by `;`.")
    root: str | None = Field(None, max_length=200, description="Variable to backpropagate from; default: the last statement.")
    mode: Mode = "correct"
    max_paths: int = Field(64, ge=0, le=256, description="How many paths per leaf to list, largest first.")
    gradcheck: bool = False
    layout: bool = True


class RenderRequest(GraphRequest):
    format: Literal["svg", "png", "dot"] = "svg"


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


class Edge(BaseModel):
    id: str
    source: str
    target: str
    arg: int
    contribution: Value | None
    contribution_raw: Value | None


class Event(BaseModel):
    edge: str
    to: str
    contribution: Value
    contribution_raw: Value | None
    grad_before: Value | None
    grad_after: Value
    accumulated: bool


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


class Layout(BaseModel):
    width: float
    height: float
    nodes: dict[str, NodeBox]
    edges: dict[str, EdgeRoute]


class Compare(BaseModel):
    correct: dict[str, Value | None]
    differs: list[str]


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


class Example(BaseModel):
    id: str
    title: str
    source: str
    note: str
