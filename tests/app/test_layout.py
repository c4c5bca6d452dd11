import pytest

from app.layout import LayoutUnavailable, run_dot


def test_dot_failures_become_layout_unavailable():
    with pytest.raises(LayoutUnavailable, match="Graphviz failed"):
        run_dot("digraph { this is not dot", "svg")


def test_dot_draws_valid_input():
    assert run_dot("digraph { n0 -> n1 }", "svg").startswith(b"<?xml")
