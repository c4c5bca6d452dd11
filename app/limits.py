"""Every bound on what one request may cost, in one place.

Each limit is checked *before* the work it guards: the source size before scanning, nesting
before Python's parser sees the text, syntax-tree size before evaluation, shapes (from the
engine's shape rules) before NumPy allocates. Breaking one is an error of kind "limit".
"""

# ---- the program text ---------------------------------------------------------------------------

MAX_SOURCE_CHARS = 20_000
"""Characters in one program; more is answered with status 413 before anything else is done."""

MAX_NESTING = 100
"""Levels of brackets, of unary operators in a row, and of the syntax tree (statement included).

Python's own parser gives up somewhere between 200 brackets and ~1000 tree levels with a
SyntaxError, MemoryError or RecursionError; staying well below keeps the evaluator, which walks
the tree recursively, far from the interpreter's recursion limit.
"""

MAX_SYNTAX_NODES = 10_000
"""Nodes of the parsed syntax tree (numbers, names, operators, calls...)."""

MAX_NUMBER_DIGITS = 100
"""Digits in a row; float64 has about 17 significant digits and overflows past 309."""

# ---- the graph the program builds ---------------------------------------------------------------

MAX_GRAPH_NODES = 5_000
"""Tensors one program may create: leaves, constants and op results alike."""

MAX_TENSOR_ELEMENTS = 1_000_000
"""Elements of any one tensor (8 MB of float64)."""

MAX_TOTAL_ELEMENTS = 1_000_000
"""Elements of all tensors of one program together."""

MAX_NDIM = 4
"""Dimensions of any one tensor."""

MAX_MATMUL_FLOPS = 100_000_000
"""Multiply-adds of one matmul (output elements x inner size).

Under MAX_TOTAL_ELEMENTS a matmul can still reach ~1.9e8 multiply-adds (three 577 x 577
matrices); this bound keeps any one matmul well under 0.1 s.
"""

# ---- the sandboxed evaluation -------------------------------------------------------------------

EVALUATION_TIMEOUT_S = 5.0
"""Wall-clock seconds one evaluation may take in a sandbox worker before it is killed."""

EVALUATION_MEMORY_BYTES = 1 << 30
"""Address space a sandbox worker may add on top of what it uses after start-up (1 GiB)."""

SANDBOX_WORKERS = 2
"""Worker processes kept started and ready."""
