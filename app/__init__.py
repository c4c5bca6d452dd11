"""chainrule's web app: the expression language, the sandbox and the FastAPI service."""
