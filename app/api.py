"""The REST API: thin handlers that parse a request, call the pipeline and answer."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from app.animation import MEDIA_TYPES as ANIMATION_TYPES
from app.examples import EXAMPLES
from app.language import ExpressionError
from app.language.reference import reference
from app.layout import LayoutUnavailable
from app.render import MEDIA_TYPES as DRAWING_TYPES
from app.sandbox import Sandbox
from app.schemas import ErrorResponse, Example, GraphRequest, GraphResponse, RenderRequest, ViewRequest, ViewResponse
from app.service import drawing, graph_json, view_json
from app.step_table import MEDIA_TYPES as TABLE_TYPES

MEDIA_TYPES = {**DRAWING_TYPES, **TABLE_TYPES, **ANIMATION_TYPES}
FILE_EXTENSIONS = {"apng": "png"}  # what a file is called where it differs from the format (slides know .png)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not valid JSON."},
    413: {"model": ErrorResponse, "description": "The source is too large."},
    422: {"model": ErrorResponse,
          "description": "The program is invalid or exceeds a limit; `error` says what and where."},
    503: {"model": ErrorResponse, "description": "Busy (`busy`): over this address's share, or no worker freed in "
                                                 "time; try again after the `Retry-After` header's seconds."},
}


async def get_sandbox(request: Request) -> Sandbox:
    """Async, though it only reads an attribute: FastAPI runs a plain `def` dependency in its thread pool,
    one more hop between threads (~0.4 ms a request) before the handler's own."""
    return request.app.state.sandbox


SandboxDep = Annotated[Sandbox, Depends(get_sandbox)]

router = APIRouter(prefix="/api", tags=["graph"])


@router.get("/examples", response_model=list[Example])
def examples() -> list[Example]:
    """The classroom gallery: each example's program and its one-line teaching note."""
    return EXAMPLES


@router.get("/language")
def language() -> dict:
    """The language reference: syntax, functions, ops with their derivatives, constructors, bug modes."""
    return reference()


@router.post("/graph", response_model=None, responses={200: {"model": GraphResponse}, **ERRORS})
async def graph(body: GraphRequest, sandbox: SandboxDep) -> Response:
    """Evaluate a program and return its graph, every value and gradient, and how each gradient was assembled."""
    return Response(await graph_json(sandbox, body), media_type="application/json")


@router.post("/view", response_model=None, responses={200: {"model": ViewResponse}, **ERRORS})
def view(body: ViewRequest, sandbox: SandboxDep) -> Response:
    """Another view of a program's graph (other function calls open), laid out; the program is not run
    again when a graph request with the same fields was just answered."""
    return Response(view_json(sandbox, body), media_type="application/json")


@router.post(
    "/render",
    response_model=None,
    responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}, "description": "The drawing."}, **ERRORS},
)
def render_graph(body: RenderRequest, sandbox: SandboxDep) -> Response:
    """A static Graphviz drawing of a view of the graph (value, grad and op per box; summing nodes marked;
    function calls as boxes or frames)."""
    try:
        content = drawing(sandbox, body)
    except LayoutUnavailable as e:
        raise ExpressionError("limit", str(e), None, None, None) from None
    extension = FILE_EXTENSIONS.get(body.format, body.format)
    return Response(content, media_type=MEDIA_TYPES[body.format],
                    headers={"Content-Disposition": f'inline; filename="graph.{extension}"'})
