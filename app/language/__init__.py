"""The expression language: a small, safe subset of Python that builds an engine graph.

Programs are `name = expr` statements (one per line or separated by `;`, `#` comments) parsed
with `ast` and evaluated by our own whitelisting walker; nothing is ever passed to eval, exec or
compile. Modules: characters (text checks before parsing), syntax (parser and whitelist), templates
(a checked tree reused when only the numbers changed), functions (what may be called), constructors,
budget (graph limits), evaluator, program.
"""

from app.language.errors import KINDS, ExpressionError
from app.language.functions import CONSTRUCTORS, FUNCTIONS, METHODS
from app.language.program import Program, parse_program

__all__ = ["CONSTRUCTORS", "FUNCTIONS", "KINDS", "METHODS", "ExpressionError", "Program", "parse_program"]
