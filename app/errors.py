"""The one error shape: every 4xx answer is `{"error": {"kind", "message", "line", "col", "end_col"}}`."""

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.admission import Busy
from app.language import ExpressionError


def error_response(status: int, kind: str, message: str, line: int | None = None, col: int | None = None,
                   end_col: int | None = None, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {"kind": kind, "message": message, "line": line, "col": col, "end_col": end_col}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def describe_validation(exc: RequestValidationError) -> str:
    """The first problem with the request body, in words: where (field path) and what."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request body"
    return f"{where}: {first.get('msg', 'invalid')}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ExpressionError)
    async def expression_error(request: Request, exc: ExpressionError) -> JSONResponse:
        d = exc.to_dict()
        return error_response(exc.status, d["kind"], d["message"], d["line"], d["col"], d["end_col"])

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> JSONResponse:
        return error_response(503, "busy", exc.message, headers={"Retry-After": str(exc.retry_after_s)})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "request", describe_validation(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed", 413: "limit"}.get(exc.status_code, "request")
        return error_response(exc.status_code, kind, str(exc.detail), headers=exc.headers)
