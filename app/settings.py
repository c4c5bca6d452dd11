"""Settings, in one place, from environment variables (each is documented in the README)."""

import os
from dataclasses import dataclass, fields
from typing import get_type_hints

from app.limits import EVALUATION_MEMORY_BYTES, EVALUATION_TIMEOUT_S, SANDBOX_WORKERS


def _env(name: str, default: str) -> str:
    return os.environ.get(f"CHAINRULE_{name.upper()}", default)


@dataclass(frozen=True)
class Settings:
    """`CHAINRULE_<NAME>` overrides each field, e.g. CHAINRULE_EVAL_TIMEOUT_S=10."""

    sandbox_workers: int = SANDBOX_WORKERS
    eval_timeout_s: float = EVALUATION_TIMEOUT_S
    eval_memory_bytes: int = EVALUATION_MEMORY_BYTES

    @classmethod
    def from_env(cls) -> "Settings":
        types = get_type_hints(cls)  # int or float: each variable is parsed as its field's type
        return cls(**{f.name: types[f.name](_env(f.name, str(f.default))) for f in fields(cls)})


settings = Settings.from_env()
