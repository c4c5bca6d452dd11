"""Where the page's files are: `static/` and `templates/` beside the packages in a checkout, inside
the `app` package when installed from a wheel (setup.py puts them there)."""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def page_folder(name: str) -> Path:
    """The installed copy first, then the checkout's."""
    for folder in (PACKAGE / name, PACKAGE.parent / name):
        if folder.is_dir():
            return folder
    raise FileNotFoundError(f"the page's {name}/ folder is neither in {PACKAGE} nor beside it")


STATIC = page_folder("static")
TEMPLATES = page_folder("templates")
