"""Settings, in one place, from environment variables (each is documented in the README)."""

import os
from dataclasses import dataclass, fields
from typing import get_type_hints

from app.limits import (
    CHEAP_EVALUATION_TIMEOUT_S,
    CHEAP_LANE_WORKERS,
    CHEAP_QUEUE_WAIT_S,
    CLIENT_MAX_COST_S,
    EVALUATION_MEMORY_BYTES,
    EVALUATION_TIMEOUT_S,
    QUEUE_WAIT_S,
    SANDBOX_WORKERS,
)


def _env(name: str, default: str) -> str:
    return os.environ.get(f"CHAINRULE_{name.upper()}", default)


@dataclass(frozen=True)
class Settings:
    """`CHAINRULE_<NAME>` overrides each field, e.g. CHAINRULE_EVAL_TIMEOUT_S=10."""

    sandbox_workers: int = SANDBOX_WORKERS
    eval_timeout_s: float = EVALUATION_TIMEOUT_S
    eval_memory_bytes: int = EVALUATION_MEMORY_BYTES
    cheap_eval_timeout_s: float = CHEAP_EVALUATION_TIMEOUT_S
    cheap_lane_workers: int = CHEAP_LANE_WORKERS
    client_max_cost_s: float = CLIENT_MAX_COST_S
    queue_wait_s: float = QUEUE_WAIT_S
    cheap_queue_wait_s: float = CHEAP_QUEUE_WAIT_S

    @classmethod
    def from_env(cls) -> "Settings":
        types = get_type_hints(cls)  # int or float: each variable is parsed as its field's type
        return cls(**{f.name: types[f.name](_env(f.name, str(f.default))) for f in fields(cls)})


settings = Settings.from_env()
