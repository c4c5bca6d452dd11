"""The REST API through HTTP: every field of the graph record on the gallery, bug modes, errors."""

import csv
import io
import json
import math
from xml.etree import ElementTree

import numpy as np
import pytest

from app.examples import EXAMPLES, EXAMPLES_BY_ID
from app.number_format import flatten, format_value
from app.schemas import ErrorResponse, GraphResponse

REQUIRED_EXAMPLES = {"diamond", "neuron", "square", "x-times-x", "a-plus-a", "shared-reference", "broadcast-row",
                     "broadcast-column", "log-sigmoid", "cross-entropy", "mlp"}


def post_graph(client, source, **options):
    response = client.post("/api/graph", json={"source": source, **options})
    assert response.status_code == 200, response.text
    return response.json()


def by_label(graph):
    return {n["label"]: n for n in graph["nodes"] if n["label"]}


def as_float(value):
    return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(value, value) if isinstance(value, str) else value


def flat(value):
    if isinstance(value, list):
        return [x for v in value for x in flat(v)]
    return [as_float(value)]


def close(a, b, tol=1e-9):
    fa, fb = flat(a), flat(b)
    return len(fa) == len(fb) and all(math.isclose(x, y, rel_tol=tol, abs_tol=tol) for x, y in zip(fa, fb, strict=True))


def add(a, b):
    if isinstance(a, list):
        return [add(x, y) for x, y in zip(a, b, strict=True)]
    return a + b


@pytest.fixture(scope="module", params=[e.id for e in EXAMPLES])
def example_graph(request, client):
    return post_graph(client, EXAMPLES_BY_ID[request.param].source, gradcheck=True)


def test_gallery_lists_the_classroom_examples(client):
    examples = client.get("/api/examples").json()
    assert REQUIRED_EXAMPLES <= {e["id"] for e in examples}
    assert all(e["title"] and e["source"] and e["note"] for e in examples)


def test_response_matches_the_declared_schema(example_graph):
    GraphResponse.model_validate(example_graph)


def test_ids_follow_topological_order(example_graph):
    ids = [n["id"] for n in example_graph["nodes"]]
    assert ids == [f"n{i}" for i in range(len(ids))] == example_graph["forward_order"]
    position = {node_id: i for i, node_id in enumerate(ids)}
    for edge in example_graph["edges"]:
        assert position[edge["source"]] < position[edge["target"]]


def test_backward_steps_are_a_reverse_topological_order(example_graph):
    fired = [s["node"] for s in example_graph["backward_steps"]]
    assert fired[0] == example_graph["root"]
    assert len(set(fired)) == len(fired)
    when = {node_id: i for i, node_id in enumerate(fired)}
    for edge in example_graph["edges"]:
        if edge["source"] in when and edge["target"] in when:
            assert when[edge["target"]] < when[edge["source"]], edge


def test_contributions_sum_to_each_gradient(example_graph):
    received = {}
    for step in example_graph["backward_steps"]:
        for event in step["events"]:
            received.setdefault(event["to"], []).append(event["contribution"])
    for node in example_graph["nodes"]:
        if node["id"] == example_graph["root"] or node["grad"] is None:
            continue
        total = received[node["id"]][0]
        for c in received[node["id"]][1:]:
            total = add(total, c)
        assert close(total, node["grad"]), node["id"]


def test_sum_flag_is_exactly_on_nodes_with_several_contributions(example_graph):
    counts = {}
    for step in example_graph["backward_steps"]:
        for event in step["events"]:
            counts[event["to"]] = counts.get(event["to"], 0) + 1
            assert event["accumulated"] == (counts[event["to"]] > 1)
    for node in example_graph["nodes"]:
        assert ("sum" in node["flags"]) == (counts.get(node["id"], 0) >= 2), node["id"]
        if node["grad"] is not None and node["id"] != example_graph["root"]:
            differentiable_uses = sum(1 for e in example_graph["edges"]
                                      if e["source"] == node["id"] and e["contribution"] is not None)
            assert counts[node["id"]] == differentiable_uses


def test_edges_carry_what_backward_sent(example_graph):
    sent = {e["edge"]: e["contribution"] for s in example_graph["backward_steps"] for e in s["events"]}
    for edge in example_graph["edges"]:
        assert edge["contribution"] == sent.get(edge["id"])


def test_path_values_sum_to_leaf_gradients(example_graph):
    leaves = {n["id"]: n for n in example_graph["nodes"] if n["kind"] == "leaf"}
    assert set(example_graph["paths"]) == set(leaves)
    for leaf_id, paths in example_graph["paths"].items():
        assert int(paths["count"]) == len(paths["shown"]) + int(paths["left_out"])
        if paths["truncated"] or leaves[leaf_id]["grad"] is None:
            continue
        total = paths["shown"][0]["value"]
        for p in paths["shown"][1:]:
            total = add(total, p["value"])
        assert close(total, leaves[leaf_id]["grad"], 1e-7), leaf_id
        for p in paths["shown"]:
            assert p["nodes"][0] == leaf_id and p["nodes"][-1] == example_graph["root"]


def test_gradcheck_passes_on_the_gallery(example_graph):
    checks = example_graph["gradcheck"]["leaves"]
    assert checks and all(c["passed"] for c in checks.values())
    for c in checks.values():
        assert [p["eps"] for p in c["sweep"]][:2] == [0.1, 0.01]


def test_layout_has_every_box_and_edge_of_the_view(example_graph):
    layout, view = example_graph["layout"], example_graph["view"]
    assert set(layout["nodes"]) == {b["id"] for b in view["boxes"]}
    assert set(layout["edges"]) == {e["id"] for e in view["edges"]}
    for box in layout["nodes"].values():
        assert 0 <= box["x"] <= layout["width"] and 0 <= box["y"] <= layout["height"]
    for route in layout["edges"].values():
        assert len(route["points"]) % 3 == 1


def test_same_source_gives_byte_identical_json(client):
    body = {"source": EXAMPLES_BY_ID["mlp"].source, "gradcheck": True}
    first = client.post("/api/graph", json=body).content
    assert first == client.post("/api/graph", json=body).content


def test_diamond_numbers_in_correct_and_overwrite_mode(client):
    source = EXAMPLES_BY_ID["diamond"].source
    good = by_label(post_graph(client, source))
    assert [good[k]["grad"] for k in "abc"] == [4.0, -4.0, -12.0]
    assert good["L"]["value"] == -20.0
    assert "sum" in good["a"]["flags"] and "sum" in good["c"]["flags"] and "sum" not in good["b"]["flags"]
    bad = post_graph(client, source, mode="overwrite")
    nodes = by_label(bad)
    assert [nodes[k]["grad"] for k in "abc"] == [-6.0, -4.0, -2.0]
    assert set(bad["compare"]["differs"]) == {nodes["a"]["id"], nodes["c"]["id"]}
    assert bad["compare"]["correct"][nodes["a"]["id"]] == 4.0


def test_alias_mode_shares_one_array(client):
    source = EXAMPLES_BY_ID["shared-reference"].source
    good = post_graph(client, source)
    assert good["seeded_with_ones"] is True
    nodes = by_label(good)
    assert [nodes[k]["grad"] for k in "abcd"] == [[1, 1, 1], [2, 2, 2], [1, 1, 1], [1, 1, 1]]
    nodes = by_label(post_graph(client, source, mode="alias"))
    assert all(nodes[k]["grad"] == [2, 2, 2] for k in "abcd")


# y is a reshaped view of x's gradient array seen through a transpose: the in-place add of reshape's
# contribution into x's gradient (the array the add gave s, z and x) changes y's through the view
VIEWED = ("x = [[1, 2, 3], [4, 5, 6]]\nw = [[1, 0, 2], [0, 3, 1]]\ny = x.reshape(3, 2)\nz = y.T\ns = z + x\n"
          "L = sum(s * w)")


def in_place_adds(graph):
    return [e for step in graph["backward_steps"] for e in step["events"] if "alias" in e]


def test_alias_mode_names_gradients_shared_through_a_view(client):
    graph = post_graph(client, VIEWED, mode="alias")
    nodes = by_label(graph)
    ids = {n["id"]: n["label"] or n["op"] for n in graph["nodes"]}
    [add] = in_place_adds(graph)
    alias = add["alias"]
    assert ids[add["to"]] == "x"
    one_array = {ids[n["id"]] for n in graph["nodes"] if n.get("grad_array") == nodes["x"]["grad_array"] is not None}
    assert one_array == {"s", "x", "y", "z"}
    assert [ids[i] for i in alias["views"]] == ["y"]  # the same array for s and z, a (3,2) view for y
    x_after, y_after = np.array(add["grad_after"]), np.array(alias["views"][nodes["y"]["id"]])
    assert y_after.shape == (3, 2) and (y_after == x_after.T).all()
    assert nodes["y"]["grad"] == alias["views"][nodes["y"]["id"]]  # what y shows is what memory holds
    # the bug changed y's number through the view: the correct run's y is w transposed
    assert nodes["y"]["id"] in graph["compare"]["differs"]
    assert graph["compare"]["correct"][nodes["y"]["id"]] == np.array([[1, 0, 2], [0, 3, 1]]).T.tolist()
    assert (np.array(alias["before"]) + np.array(alias["contribution"]) == x_after).all()


def test_an_in_place_add_of_a_gradient_into_itself_shows_the_values_before_it(client):
    """x + x.T: the transpose sends a view of the very array it adds into (numpy buffers the overlap);
    the record's copies, made after the add, would show the sum three times."""
    source = "x = [[1, 2], [3, 4]]\nw = [[1, 2], [0, 5]]\nt = x.T\nL = sum((x + t) * w)"
    graph = post_graph(client, source, mode="alias")
    ids = {n["id"]: n["label"] or n["op"] for n in graph["nodes"]}
    [add] = in_place_adds(graph)
    alias = add["alias"]
    # the add handed one array to x and t; what t sent back is a transposed view of it, not a gradient
    arrays = {ids[n["id"]]: n.get("grad_array") for n in graph["nodes"]}
    assert ids[add["to"]] == "x" and arrays["x"] == arrays["t"] == arrays["add"] is not None
    assert alias["views"] == {}
    w = np.array([[1, 2], [0, 5]])
    assert alias["before"] == w.tolist() and alias["contribution"] == w.T.tolist()
    assert add["grad_after"] == (w + w.T).tolist()


@pytest.mark.parametrize("mode", ["correct", "overwrite", "no_unbroadcast"])
def test_only_the_alias_bug_has_in_place_adds(client, mode):
    graph = post_graph(client, VIEWED, mode=mode)
    assert in_place_adds(graph) == [] and not any("grad_array" in n for n in graph["nodes"])


def test_no_unbroadcast_is_flagged_not_a_crash(client):
    row = post_graph(client, EXAMPLES_BY_ID["broadcast-row"].source, mode="no_unbroadcast")
    a = by_label(row)["a"]
    assert "shape_mismatch" in a["flags"] and a["shape"] == [3]
    assert by_label(post_graph(client, EXAMPLES_BY_ID["broadcast-row"].source))["a"]["grad"] == [4, 4, 4]
    column = post_graph(client, EXAMPLES_BY_ID["broadcast-column"].source, mode="no_unbroadcast")
    a = by_label(column)["a"]
    assert a["id"] in column["compare"]["differs"]
    assert column["compare"]["correct"][a["id"]] == [[10], [35], [60]]


@pytest.mark.parametrize("source, label, value, grads", [
    ("x = 2\nw = 3\nb = 1\nL = (x*w + b)**2", "L", 49.0, {"x": 42.0, "w": 28.0, "b": 14.0}),
    ("x = 3\nL = x*x + x", "L", 12.0, {"x": 7.0}),
    ("a = 2\nL = (a + a) * a", "L", 8.0, {"a": 8.0}),
])
def test_small_classics(client, source, label, value, grads):
    nodes = by_label(post_graph(client, source))
    assert nodes[label]["value"] == value
    assert {k: nodes[k]["grad"] for k in grads} == grads


def test_same_input_twice_has_two_edges_and_two_paths(client):
    graph = post_graph(client, "y = 3\nL = y*y")
    y = by_label(graph)["y"]
    assert sum(1 for e in graph["edges"] if e["source"] == y["id"]) == 2
    assert graph["paths"][y["id"]]["count"] == "2"
    assert y["grad"] == 6.0 and "sum" in y["flags"]


def test_path_count_is_exact_for_two_to_the_sixty_paths(client):
    graph = post_graph(client, "x = 1\n" + "x = x + x\n" * 60, max_paths=8, layout=False)
    leaf = next(n for n in graph["nodes"] if n["kind"] == "leaf")
    paths = graph["paths"][leaf["id"]]
    assert paths["count"] == str(2**60)
    assert paths["truncated"] and paths["left_out"] == str(2**60 - 8)
    assert leaf["grad"] == float(2**60)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_max_paths_zero_counts_the_paths_and_lists_none(client, example):
    counted = post_graph(client, example.source, layout=False)["paths"]
    graph = post_graph(client, example.source, max_paths=0, layout=False)
    assert graph["paths"].keys() == counted.keys()
    for leaf, paths in graph["paths"].items():
        assert paths["count"] == paths["left_out"] == counted[leaf]["count"]
        assert paths["shown"] == [] and paths["truncated"] == (paths["count"] != "0")


def test_numeric_trouble_is_flagged_on_the_graph(client):
    graph = post_graph(client, "x = 0\nL = log(x)")
    nodes = by_label(graph)
    assert nodes["L"]["value"] == "-inf" and "inf" in nodes["L"]["flags"]
    assert graph["diagnostics"]["first_nonfinite_forward"] == nodes["L"]["id"]
    assert graph["diagnostics"]["messages"]
    nan = by_label(post_graph(client, "x = -8\nL = x ** (1/3)"))["L"]
    assert nan["value"] == "nan" and "nan" in nan["flags"]


def test_unused_variable_is_unconnected_with_grad_none(client):
    graph = post_graph(client, "a = 2\nb = 5\nL = a * 3")
    b = by_label(graph)["b"]
    assert b["grad"] is None and "unconnected" in b["flags"]
    assert b["id"] in graph["diagnostics"]["unconnected"]


def test_saturated_tanh_is_flagged(client):
    graph = post_graph(client, "x = 20\nL = tanh(x)")
    node = by_label(graph)["L"]
    assert "saturated" in node["flags"] and node["id"] in graph["diagnostics"]["saturated"]


def test_root_can_be_chosen(client):
    graph = post_graph(client, "a = 2\nb = a * 3\nc = b + a", root="b")
    nodes = by_label(graph)
    assert graph["root"] == nodes["b"]["id"] and nodes["a"]["grad"] == 3.0


def test_changed_numbers_reuse_the_layout(client):
    first = post_graph(client, "a = 2\nb = 3\nL = a*b + a")
    second = post_graph(client, "a = 7\nb = -1\nL = a*b + a")
    assert first["layout"] == second["layout"]


@pytest.mark.parametrize("source, kind, line, col, end_col", [
    ("a = 1\nb = c + a", "name", 2, 5, 6),
    ("a = (1 +\n", "syntax", None, None, None),
    ("a = randn(2, 3, seed=0)\nb = randn(2, 3, seed=1)\nc = a @ b", "shape", 3, 5, 10),
    ("import os", "syntax", 1, 1, 10),
])
def test_errors_name_what_and_where(client, source, kind, line, col, end_col):
    response = client.post("/api/graph", json={"source": source})
    assert response.status_code == 422
    error = ErrorResponse.model_validate(response.json()).error
    assert error.kind == kind
    if line is not None:
        assert (error.line, error.col, error.end_col) == (line, col, end_col)
    else:
        assert error.line is not None and error.col is not None


def test_matmul_shape_message_speaks_shapes(client):
    error = client.post("/api/graph", json={"source": "a = zeros(2, 3)\nb = zeros(2, 3)\nL = a @ b"}).json()["error"]
    assert error["message"] == "matmul shapes (2,3) @ (2,3) do not align"


def test_source_over_the_limit_is_413(client):
    response = client.post("/api/graph", json={"source": "a = 1\n" * 5000})
    assert response.status_code == 413
    assert response.json()["error"]["kind"] == "limit"


def test_oversized_body_is_refused_before_parsing(client):
    response = client.post("/api/graph", content=b'{"source": "' + b"1" * 400_000 + b'"}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["kind"] == "limit"


def test_invalid_request_uses_the_error_shape(client):
    response = client.post("/api/graph", json={"source": "a = 1", "mode": "bogus"})
    assert response.status_code == 422
    assert response.json()["error"]["kind"] == "request" and "mode" in response.json()["error"]["message"]
    assert client.get("/api/nope").json()["error"]["kind"] == "not_found"


@pytest.mark.parametrize("fmt, media, magic", [
    ("svg", "image/svg+xml", b"<?xml"), ("png", "image/png", b"\x89PNG"), ("dot", "text/vnd.graphviz", b"digraph"),
])
def test_render_formats(client, fmt, media, magic):
    response = client.post("/api/render", json={"source": EXAMPLES_BY_ID["diamond"].source, "format": fmt})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert response.content.startswith(magic)


def test_render_marks_sum_nodes(client):
    dot = client.post("/api/render", json={"source": EXAMPLES_BY_ID["diamond"].source, "format": "dot"}).text
    assert "Σ a" in dot and "Σ c" in dot and "Σ b" not in dot


def svg_centres(svg: str) -> dict[str, tuple[float, float]]:
    """Each node's centre in a Graphviz SVG, by node id (its <title>): the middle of its texts."""
    ns = {"svg": "http://www.w3.org/2000/svg"}
    centres = {}
    for g in ElementTree.fromstring(svg.encode()).iterfind(".//svg:g[@class='node']", ns):
        texts = g.findall("svg:text", ns)
        xs, ys = [float(t.get("x")) for t in texts], [float(t.get("y")) for t in texts]
        centres[g.find("svg:title", ns).text] = (sum(xs) / len(xs), sum(ys) / len(ys))
    return centres


@pytest.mark.parametrize("direction, axis", [("LR", 0), ("TB", 1), (None, 0)])
def test_render_follows_the_direction_the_page_shows(client, direction, axis):
    """A drawing is laid out as the page shows it: TB (a portrait pane) puts the root below its inputs,
    LR (and no direction: an older client) to their right."""
    source = EXAMPLES_BY_ID["diamond"].source
    graph = post_graph(client, source)
    leaves = [n["id"] for n in graph["nodes"] if n["kind"] == "leaf"]
    fields = {"source": source, "format": "svg"} | ({"direction": direction} if direction else {})
    response = client.post("/api/render", json=fields)
    assert response.status_code == 200, response.text
    centres = svg_centres(response.text)
    assert len(leaves) == 3 and set(leaves) <= set(centres)
    root = centres[graph["root"]][axis]
    assert all(root > centres[leaf][axis] + 20 for leaf in leaves), (direction, centres)


def test_render_refuses_an_unknown_direction(client):
    response = client.post("/api/render", json={"source": "a = 1\nL = a*a", "direction": "RL"})
    assert response.status_code == 422 and "direction" in response.json()["error"]["message"]


@pytest.mark.parametrize("label", ['say "hi"', "a\\nb", "<b>bold</b>", "x } y { z", "back\\slash"])
def test_render_escapes_user_labels(client, label):
    """A label is user text: it reaches Graphviz only quoted and escaped, never as DOT or an HTML label."""
    source = f"from micrograd.engine import Value\na = Value(2.0, label={label!r})\nL = a * a"
    dot = client.post("/api/render", json={"source": source, "format": "dot"})
    assert dot.status_code == 200
    assert "label=<" not in dot.text  # quoted labels only: an HTML-like label would be markup
    svg = client.post("/api/render", json={"source": source, "format": "svg"})
    assert svg.status_code == 200 and svg.text.count("<g id=\"node") == 2


def test_health_docs_and_headers(client):
    response = client.get("/healthz")
    assert response.json() == {"status": "ok"}
    assert response.headers["content-security-policy"] == "default-src 'self'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "referrer-policy" in response.headers
    spec = client.get("/openapi.json").json()
    assert "/api/graph" in spec["paths"] and "GraphResponse" in spec["components"]["schemas"]


def test_api_docs_work_offline(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text and "cdn" not in page.text.lower()
    assert "script-src" not in page.headers["content-security-policy"]
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/docs-init.js").status_code == 200


def test_edge_routes_join_their_own_boxes(example_graph):
    """Each route starts at its source's box and ends (arrow tip) at its target's box."""
    layout = example_graph["layout"]

    def inside(point, box, slack=2.0):
        return (abs(point[0] - box["x"]) <= box["width"] / 2 + slack
                and abs(point[1] - box["y"]) <= box["height"] / 2 + slack)

    for edge in example_graph["view"]["edges"]:
        route = layout["edges"][edge["id"]]
        tip = route["end"] or route["points"][-1]
        assert inside(route["points"][0], layout["nodes"][edge["source"]]), edge
        assert inside(tip, layout["nodes"][edge["target"]]), edge


def test_scalar_leaves_say_where_their_number_is_written(client):
    source = "from micrograd.engine import Value\nx = Value(-2.5, label='x')\ny = 3\nb = Value(0.0)\n" \
             "def f(v):\n    return v * Value(1.0)\nL = f(x) * f(b) + y"
    graph = client.post("/api/graph", json={"source": source}).json()
    lines = source.split("\n")
    written = {n["label"]: lines[n["literal"][0] - 1][n["literal"][1] - 1:n["literal"][2] - 1]
               for n in graph["nodes"] if n["literal"]}
    assert written == {"x": "-2.5", "b": "0.0"}  # y is a plain number here; Value(1.0) is made by each call


@pytest.mark.parametrize("fmt", ["csv", "md"])
def test_step_table_has_a_row_per_backward_event(client, fmt):
    source = "a = 2\nb = 3\nc = 4\nL = (a*b + c) * (a - c)"
    graph = client.post("/api/graph", json={"source": source}).json()
    events = [(k, ev) for k, step in enumerate(graph["backward_steps"], 1) for ev in step["events"]]
    table = client.post("/api/render", json={"source": source, "format": fmt})
    kind = "csv" if fmt == "csv" else "markdown"
    assert table.status_code == 200 and table.headers["content-type"].startswith(f"text/{kind}")
    lines = table.text.strip().split("\n")
    body = lines[1:] if fmt == "csv" else lines[2:]
    assert len(body) == len(events)
    for line, (k, ev) in zip(body, events, strict=True):
        cells = line.split(",") if fmt == "csv" else [c.strip() for c in line.strip("|").split("|")]
        assert cells[0] == str(k) and cells[2] == ev["edge"] and cells[-1] == ("yes" if ev["accumulated"] else "no")
        assert float(cells[6]) == pytest.approx(ev["grad_after"], rel=1e-5)


def test_step_table_csv_keeps_every_digit_and_markdown_reads_as_the_page(client):
    """The CSV is for analysis: its numbers read back as the engine's doubles and arrays come whole. The
    Markdown handout writes them as the page's nodes do (format.js's rules, app/number_format.py)."""
    source = "a = 0.1\nb = 0.2\nw = randn(2, 3)\nL = sum(w * (a + b)) * a"
    graph = client.post("/api/graph", json={"source": source}).json()
    events = [ev for step in graph["backward_steps"] for ev in step["events"]]
    table = {fmt: client.post("/api/render", json={"source": source, "format": fmt}).text for fmt in ("csv", "md")}
    csv_rows = list(csv.reader(io.StringIO(table["csv"])))[1:]
    md_rows = [[c.strip() for c in line.strip("|").split("|")] for line in table["md"].splitlines()[2:]]
    assert any(isinstance(ev["contribution"], list) and len(flatten(ev["contribution"])) > 3 for ev in events)
    for csv_row, md_row, ev in zip(csv_rows, md_rows, events, strict=True):
        values = (ev["contribution"], ev["grad_before"], ev["grad_after"])
        for cell, md_cell, value in zip(csv_row[4:7], md_row[4:7], values, strict=True):
            assert md_cell == ("" if value is None else format_value(value))
            if value is not None:
                assert json.loads(cell) == value  # every digit and every entry: it reads back as the same data
    assert any("…" in row[4] for row in md_rows) and not any("…" in row[4] for row in csv_rows)
