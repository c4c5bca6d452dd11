"""The ASGI app: `app.main:app`."""

import gc
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import api, pages
from app.errors import install_error_handlers
from app.middleware import BodyLimit, ClientAddress, InternalErrors, SecurityHeaders
from app.page_files import STATIC
from app.pages import SWAGGER_UI
from app.sandbox import Sandbox
from app.settings import settings


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.sandbox = Sandbox.from_settings(settings)
    # Everything made so far lives as long as the server (modules, the app, the routes): out of the
    # collector's sight, a full collection scans only what requests made since. Without this, each
    # full collection walked every imported module's objects on the event loop's thread (~50 ms
    # under load, stalling every request in flight, /healthz included).
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        app.state.sandbox.close()


async def healthz() -> dict[str, str]:
    """Liveness: answers while the server can take requests (on the event loop: no thread needed)."""
    return {"status": "ok"}


def create_app() -> FastAPI:
    """A new app with its own sandbox (started by its lifespan); the server uses `app` below."""
    new = FastAPI(
        title="chainrule",
        summary="Computation graphs for reverse-mode automatic differentiation, with every gradient explained.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(new)
    # the last added is the outermost: headers go on every answer, including the 500 and the 413
    new.add_middleware(ClientAddress)
    new.add_middleware(BodyLimit)
    new.add_middleware(InternalErrors)
    new.add_middleware(SecurityHeaders)
    new.include_router(api.router)
    new.include_router(pages.router)
    new.add_api_route("/healthz", healthz, methods=["GET"], tags=["health"])
    new.mount("/static", StaticFiles(directory=STATIC), name="static")
    new.mount("/docs-assets", StaticFiles(directory=SWAGGER_UI), name="docs-assets")
    return new


app = create_app()
