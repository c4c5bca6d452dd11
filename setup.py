"""Which files the package holds; the project's metadata is in pyproject.toml.

The page's folders, `static/` and `templates/`, live beside the packages in the repository and ship
inside the `app` package (as `app/static`, `app/templates`) when installed, where app/page_files.py
finds them. pyproject.toml alone cannot say this: its `package-dir` mapping only applies to packages
listed by hand, and the Python packages here are found automatically so a new subpackage is never
left out of the install.
"""

from setuptools import find_packages, setup

PAGE_FOLDERS = {"app.static": "static", "app.templates": "templates"}

setup(
    packages=[*find_packages(include=["app", "app.*", "engine", "engine.*"]), *PAGE_FOLDERS],
    package_dir=PAGE_FOLDERS,
    package_data={name: ["**/*"] for name in PAGE_FOLDERS},
)
