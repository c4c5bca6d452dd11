"""Errors the engine raises: for input a user can fix, each says what is wrong in the user's terms;
VJPRuleError is the engine's own bug, found before it can spoil a gradient."""


class ShapeError(ValueError):
    """Operand shapes that an op cannot combine (e.g. matmul with misaligned inner sizes)."""


class DomainError(ValueError):
    """An argument outside what an op accepts (e.g. a class index out of range)."""


class GradientShapeError(ValueError):
    """A gradient whose shape cannot belong to the value it is meant for."""


class VJPRuleError(RuntimeError):
    """A VJP rule in the op table returned the wrong number of contributions or a contribution of
    a shape that cannot be its input's gradient: a bug in the rule, not in the user's program."""
