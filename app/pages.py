"""The page: one HTML document; everything else is static ES modules and CSS."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from swagger_ui_bundle import swagger_ui_path

from app.page_files import TEMPLATES

SWAGGER_UI = Path(str(swagger_ui_path))
templates = Jinja2Templates(directory=TEMPLATES)

# Swagger UI sets inline styles and data: images; only its page gets a policy that allows them.
DOCS_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The visualizer; the URL's query (src, mode, step) is read by the page's own script."""
    return templates.TemplateResponse(request, "index.html", {})


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Interactive API docs (Swagger UI), served from local files so they work offline."""
    response = templates.TemplateResponse(request, "docs.html", {})
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response
