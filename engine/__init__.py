"""chainrule's autograd engine: float64 NumPy values, one op table, a recorded reverse pass."""

from engine.backward import MODES, backward, reverse_topological_order, topological_order
from engine.broadcast import unbroadcast
from engine.errors import DomainError, GradientShapeError, ShapeError, VJPRuleError
from engine.ops import OPS, Op, output_shape
from engine.record import BackwardRecord, Event, Step
from engine.tensor import Tensor, apply

__all__ = [
    "MODES", "OPS", "BackwardRecord", "DomainError", "Event", "GradientShapeError", "Op", "ShapeError",
    "Step", "Tensor", "VJPRuleError", "apply", "backward", "output_shape", "reverse_topological_order",
    "topological_order", "unbroadcast",
]
