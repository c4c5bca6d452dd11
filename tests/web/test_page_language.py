"""What the page takes from the engine rather than writing it again: the bug modes (the mode menu,
the banner's words) and the language reference in the help, from the parser's own tables; and
where the sums will happen, marked from step 0."""

from webtools import DIAMOND

from app.language.functions import ATTRIBUTES, BUILTIN_USAGE, CONSTRUCTOR_USAGE, OP_FUNCTIONS
from app.language.reference import SYNTAX
from app.language.training import PROGRAM_MODES
from engine import MODES

# a 2-8-8-1 micrograd MLP written out at the top level: the two inputs and the eight units of the
# first layer each feed eight consumers
MLP_2881 = """from micrograd.engine import Value
import random
random.seed(0)
x = [Value(1.0), Value(-2.0)]
W1 = [[Value(random.uniform(-1, 1)) for _ in range(2)] for _ in range(8)]
h1 = [sum((w * xi for w, xi in zip(ws, x)), Value(0.0)).tanh() for ws in W1]
W2 = [[Value(random.uniform(-1, 1)) for _ in range(8)] for _ in range(8)]
h2 = [sum((w * hi for w, hi in zip(ws, h1)), Value(0.0)).tanh() for ws in W2]
W3 = [Value(random.uniform(-1, 1)) for _ in range(8)]
y = sum((w * hi for w, hi in zip(W3, h2)), Value(0.0))
y.backward()"""


def test_the_mode_menu_lists_the_engines_modes(web):
    web.open(src=DIAMOND)
    web.page.wait_for_function("() => document.querySelectorAll('[data-testid=mode] option').length > 1")
    options = web.page.eval_on_selector_all("[data-testid=mode] option", "els => els.map(e => e.value)")
    assert options == [*MODES, *PROGRAM_MODES]


def test_the_help_holds_the_language_reference_from_the_parsers_tables(web, api):
    web.open(src=DIAMOND)
    web.page.keyboard.press("?")
    reference = web.page.locator("[data-testid=language-reference]")
    reference.locator("[data-function]").first.wait_for()
    listed = set(reference.locator("[data-function]").evaluate_all("els => els.map(e => e.dataset.function)"))
    every = set(OP_FUNCTIONS) | set(BUILTIN_USAGE) | set(CONSTRUCTOR_USAGE) | set(ATTRIBUTES)
    assert every <= listed, every - listed
    text = reference.text_content()
    for what, example, _ in SYNTAX.values():
        assert what in text and example in text, what
    # each op with its derivative, as a function and as a method
    tanh = reference.locator("[data-function=tanh]").text_content()
    assert "tanh(x)" in tanh and "x.tanh()" in tanh and OP_FUNCTIONS["tanh"].usage in tanh
    assert api.language()["ops"][0]["rule"] in text
    # constants: const, the input that takes no gradient
    assert "const(" in reference.locator("[data-function=const]").text_content()
    # the bug modes in the engine's words
    modes = reference.locator("[data-testid=help-modes]").text_content()
    for mode in api.language()["modes"]:
        assert mode["name"] in modes and mode["words"] in modes
    web.screenshot("30-help-reference.png")


def fan_out_badges(web) -> dict[str, str]:
    return web.page.eval_on_selector_all(
        "[data-testid=graph] [data-node-id] [data-role=fan-out]",
        "els => Object.fromEntries(els.filter(e => e.checkVisibility())"
        ".map(e => [e.closest('[data-node-id]').dataset.nodeId, e.querySelector('text').textContent]))")


def test_where_the_sums_will_happen_is_marked_from_step_0(web, api):
    """Every node that will receive two or more contributions carries "Σ n" before anything has
    fired (the gallery, and a 2-8-8-1 MLP); a node with one consumer carries none."""
    sources = [e["source"] for e in api.examples()] + [MLP_2881]
    for source in sources:
        graph = api.graph(source)
        # every group open, so that every node is a box
        web.open(src=source, **({"open": ",".join(g["id"] for g in graph["groups"])} if graph["groups"] else {}))
        web.fit_whole()
        boxes = set(web.node_ids())
        contributions: dict[str, int] = {}
        for s in graph["backward_steps"]:
            for e in s["events"]:
                contributions[e["to"]] = contributions.get(e["to"], 0) + 1
        expected = {nid: f"Σ {n}" for nid, n in contributions.items() if n >= 2 and nid in boxes}
        assert web.step_label().startswith("step 0 /")
        assert fan_out_badges(web) == expected, source.splitlines()[-1]
        # the nodes used more than once (and reached by a gradient) are exactly those
        multi = {n["id"] for n in graph["nodes"] if n["fan_out"] >= 2 and n["grad"] is not None and n["id"] in boxes}
        assert set(expected) == multi
    assert len(expected) == 10, "the MLP's two inputs and eight first-layer units each feed eight"
    web.page.click("[data-testid=fit]")
    web.screenshot("31-fan-out-at-step-0.png")
