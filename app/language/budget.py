"""What one program may cost: the graph it holds (checked from shapes before NumPy allocates anything),
the loops and calls it runs, and the lists and strings it builds."""

from math import prod

from app.language.errors import ExpressionError, Span
from app.limits import (
    MAX_CALL_DEPTH,
    MAX_CALLS,
    MAX_GRAPH_NODES,
    MAX_LIST_ENTRIES,
    MAX_LIST_LENGTH,
    MAX_MATMUL_FLOPS,
    MAX_NDIM,
    MAX_STEPS,
    MAX_STRING_CHARS,
    MAX_TENSOR_ELEMENTS,
    MAX_TOTAL_ELEMENTS,
)
from engine.ops import Shape, fmt_shape


class Budget:
    """Counts the tensors a program creates and the elements they hold."""

    def __init__(self) -> None:
        self.nodes = 0
        self.elements = 0

    def check(self, shape: Shape, span: Span) -> int:
        """Raise a limit error if one more tensor of `shape` would not fit; else its size."""
        if len(shape) > MAX_NDIM:
            raise ExpressionError.at("limit", f"a value with {len(shape)} dimensions; at most {MAX_NDIM} are allowed",
                                     span)
        size = prod(shape)
        if size == 0:
            # no op has anything to teach about empty values, and several (max, softmax) have no answer
            raise ExpressionError.at("shape", f"shape {fmt_shape(shape)} is empty: every value needs at least one "
                                              "element", span)
        if size > MAX_TENSOR_ELEMENTS:
            raise ExpressionError.at("limit", f"shape {fmt_shape(shape)} has {size:,} elements; "
                                              f"at most {MAX_TENSOR_ELEMENTS:,} are allowed in one value", span)
        if self.elements + size > MAX_TOTAL_ELEMENTS:
            raise ExpressionError.at("limit", f"the program's values would hold {self.elements + size:,} elements "
                                              f"in all; at most {MAX_TOTAL_ELEMENTS:,} are allowed", span)
        if self.nodes + 1 > MAX_GRAPH_NODES:
            raise ExpressionError.at("limit", f"the program creates more than {MAX_GRAPH_NODES:,} values "
                                              "(graph nodes)", span)
        return size

    def spend(self, shape: Shape, span: Span) -> None:
        """Check, then count one more tensor of `shape`."""
        self.elements += self.check(shape, span)
        self.nodes += 1

    @staticmethod
    def check_matmul(a: Shape, b: Shape, out: Shape, span: Span) -> None:
        # every output element is a dot product over the shared inner size
        flops = prod(out) * a[-1]
        if flops > MAX_MATMUL_FLOPS:
            raise ExpressionError.at("limit", f"matmul {fmt_shape(a)} @ {fmt_shape(b)} needs {flops:,} "
                                              f"multiply-adds; at most {MAX_MATMUL_FLOPS:,} are allowed", span)


class Steps:
    """Counts loop iterations and calls, and how deeply the program's own functions are nested."""

    def __init__(self) -> None:
        self.steps = 0
        self.calls = 0
        self.depth = 0
        self.entries = 0

    def grow(self, added: int, length: int, span: Span, what: str = "a list") -> None:
        """Count `added` new entries of a list, tuple or string that will be `length` long; refuse it,
        before it is built, past the limit of one or of all together."""
        limit = MAX_STRING_CHARS if what == "a string" else MAX_LIST_LENGTH
        if length > limit:
            raise ExpressionError.at("limit", f"{what} of {length:,} entries; at most {limit:,} are allowed", span)
        self.entries += added
        if self.entries > MAX_LIST_ENTRIES:
            raise ExpressionError.at("limit", f"the program builds more than {MAX_LIST_ENTRIES:,} list entries and "
                                              "string characters in all", span)

    def tick(self, span: Span) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ExpressionError.at("limit", f"the program runs more than {MAX_STEPS:,} loop iterations in all; "
                                              "this loop is where it ran out", span)

    def enter(self, span: Span) -> None:
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise ExpressionError.at("limit", f"the program calls its own functions more than {MAX_CALLS:,} times; "
                                              "this call is where it ran out", span)
        self.depth += 1
        if self.depth > MAX_CALL_DEPTH:
            raise ExpressionError.at("limit", f"calls nest more than {MAX_CALL_DEPTH} deep (recursion without an end?)",
                                     span)

    def leave(self) -> None:
        self.depth -= 1

