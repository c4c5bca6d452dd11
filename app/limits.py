"""Every bound on what one request may cost, in one place, and the one table of them: the README's
limits table lists exactly these constants with their values (tests/app/test_limits.py).

Each limit is checked *before* the work it guards: the body size before parsing, the source size
before scanning, nesting before Python's parser sees the text, syntax-tree size before evaluation,
shapes (from the engine's shape rules) before NumPy allocates. Breaking one is an error of kind
"limit".
"""

# ---- the request and the answer -----------------------------------------------------------------

MAX_BODY_BYTES = 256 * 1024
"""Bytes of one request body, by its Content-Length or counted as a chunked body arrives (413).

A 20,000-character program is at most 80 KB of UTF-8; JSON escaping can double that.
"""

MAX_INLINE_ELEMENTS = 4_096
"""Entries of an array sent whole in a response; a larger array is sent as a summary (shape, range,
first entries), so a response stays a few megabytes even at the element limit."""

SUMMARY_HEAD = 16
"""Entries an array summary lists, from the start."""

RESPONSE_CACHE_BYTES = 16 * 1024 * 1024
"""Bytes of finished responses kept per server process, least recently used dropped first.

A gallery response is 5-50 KB and a 500-node graph ~0.5 MB, so this holds the links a class
shares many times over while keeping the server's memory flat under load.
"""

RESPONSE_CACHE_ENTRY_BYTES = 2 * 1024 * 1024
"""Bytes of the largest response the cache keeps; a larger one is computed again each time."""

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

# ---- running the program ------------------------------------------------------------------------

MAX_STEPS = 100_000
"""Loop iterations (for loops, comprehensions, generators, sum/max/min over an iterable), all together:
a loop bomb stops here in a fraction of a second."""

MAX_CALLS = 10_000
"""Calls of the program's own functions (a call costs ~10 times a loop iteration)."""

MAX_CALL_DEPTH = 50
"""Calls of the program's own functions inside one another (recursion included)."""

MAX_LIST_LENGTH = 100_000
"""Entries of one list or tuple the program builds."""

MAX_LIST_ENTRIES = 1_000_000
"""Entries of all the lists and tuples, and characters of all the strings, the program builds, together
(copies included)."""

MAX_STRING_CHARS = 10_000
"""Characters of one string the program builds (labels and printed lines are shorter still)."""

MAX_LABEL_CHARS = 40
"""Characters of a label given with Value(..., label=...) or v.label = ..."""

MAX_RESPONSE_BYTES = 8_000_000
"""Bytes of one graph record's JSON, estimated before it is written: past it, event and edge arrays
are summarized, then fewer paths are listed, then the request is refused."""

GRADCHECK_MAX_FLOPS = 200_000_000
"""Multiply-adds gradcheck may spend replaying the forward pass (each checked entry replays it twice,
each entry of the epsilon sweep twice per epsilon); past it fewer entries are checked, evenly spaced."""

GRADCHECK_MAX_ELEMENTS = 2_000
"""Leaf entries gradcheck perturbs at most, however cheap the graph."""

MAX_HISTORY_CALLS = 1_000
"""Backward calls of a training loop listed in `history`; later ones are counted, not listed."""

MAX_HISTORY_LEAVES = 64
"""Leaves whose value and gradient each `history` entry lists (the first ones made)."""

MAX_OUTPUT_LINES = 500
"""Lines print() may write; later ones are counted, not kept."""

MAX_OUTPUT_LINE_CHARS = 300
"""Characters of one printed line; longer lines are cut with an ellipsis."""

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

# ---- a fair share: lanes, a cap per client, a deadline on waiting (app/admission.py) -------------

CHEAP_LANE_WORKERS = 1
"""Sandbox workers kept for requests estimated cheap (none when there is only one worker): a small program
never waits behind programs that run to the limit."""

CHEAP_EVALUATION_TIMEOUT_S = 1.0
"""Wall-clock seconds a request estimated cheap may run in the cheap lane; past it its worker is killed and
replaced, and the program runs again in the expensive lane under EVALUATION_TIMEOUT_S. Every gallery
example and every micrograd program of the tests evaluates in under 0.5 s."""

CHEAP_MAX_SOURCE_CHARS = 4_000
"""Characters of a program estimated cheap."""

CHEAP_MAX_NUMBER = 100
"""Numbers written in a program estimated cheap are all below this (seeds aside; `10**9` counts as its value):
loop counts and tensor sizes are where a program's cost comes from (a 460 x 460 matmul checked by gradcheck
takes 0.5 s)."""

CLIENT_MAX_COST_S = 10.0
"""Seconds of work (the time limits of its requests) one client address may have waiting or running in each
lane, of the sandbox and of Graphviz; more is answered 503 `busy` with Retry-After. Cost, not count: a class
behind one address sends many small programs at once, and two that run to the limit cost 10 s."""

QUEUE_WAIT_S = 6.0
"""Seconds a request estimated expensive may wait for a sandbox worker; then it is answered 503 `busy` with
Retry-After. Longer than one evaluation's limit, so the request first in line gets the next worker freed."""

CHEAP_QUEUE_WAIT_S = 2.0
"""Seconds a request estimated cheap may wait for a sandbox worker; then 503 `busy` with Retry-After."""

MAX_GRAPHVIZ_PROCESSES = 2
"""Graphviz runs at once (layouts and drawings), and never more than the machine's cores; one is kept for
layouts, so drawings (PNG, SVG, GIF) run fewer."""

GRAPHVIZ_QUEUE_WAIT_S = 4.0
"""Seconds a layout or a drawing may wait for a Graphviz run; then 503 `busy` with Retry-After. Longer than a
drawing's limit (twice LAYOUT_TIMEOUT_S), so the one first in line gets the next run freed."""

# ---- the picture: views of the graph and their Graphviz layout ----------------------------------

OPENING_VIEW_MAX_BOXES = 60
"""Boxes the opening view may show: groups are opened breadth-first, outermost first, while the
view stays within this many boxes (a program without functions shows every node regardless)."""

FOLD_CONSTS_OVER_NODES = 150
"""In graphs with more nodes than this, a scalar constant with one consumer is drawn inside it."""

MAX_OPEN_GROUPS = 2_000
"""Group ids one request may ask to open."""

MAX_LAYOUT_BOXES = 2_000
"""Boxes of a view Graphviz is asked to lay out; `dot` takes ~0.5 s at 2,000 on these machines."""

MAX_LAYOUT_BENDS = 2_500
"""Bends `dot` would add for edges spanning many ranks (one weight shared by a long chain). Each is a
virtual node: ~2,500 take 0.2-0.8 s, ~5,000 up to 2.7 s and ~20,000 over 8 s, so a view predicted
past this is collapsed further without starting `dot`."""

LAYOUT_TIMEOUT_S = 1.5
"""Wall-clock seconds `dot` may take on one view before the view is collapsed further."""

# ---- the backward pass as an animation (GIF, APNG) ----------------------------------------------
# Each is checked before drawing: frames and boxes from the view, the resolution from one layout.

MAX_ANIMATION_FRAMES = 120
"""Frames of one animation: the opening one and one per view step (over 3 minutes at 1.6 s a step);
a longer pass is shown with calls closed or as the step table."""

MAX_ANIMATION_BOXES = 60
"""Boxes of a view drawn as an animation: what the opening view shows at most (OPENING_VIEW_MAX_BOXES);
more cannot be read at the frame size."""

MAX_ANIMATION_WIDTH_PX = 1_920
"""Pixels across one frame (a full-HD slide); a wider drawing is drawn at a lower resolution."""

MAX_ANIMATION_HEIGHT_PX = 1_440
"""Pixels down one frame; a taller drawing is drawn at a lower resolution."""

MAX_ANIMATION_PIXELS = 30_000_000
"""Pixels of all frames together, which is what an animation costs: `dot` draws a million pixels in
50-75 ms and Pillow decodes and encodes them in 20-40 ms (CPU), so 2-3 s at this bound (a 40-step,
59-box view at 62 dpi). Past it frames are drawn at a lower resolution."""

MIN_ANIMATION_DPI = 60
"""The lowest resolution frames are drawn at to fit the bounds above (96 is the normal one): box text
is 9 pixels high at 60. A view that would need less is refused."""
