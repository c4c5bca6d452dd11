"""micrograd as the oracle: the same program text run with real micrograd 0.1.0 and through POST /api/graph.

Compared to 1e-12 (relative and absolute): the root's value, every `Value(...)`'s value and gradient (our
leaves in creation order, micrograd's Values in the order the program made them) and every printed line.
Programs with tanh or exp, which micrograd 0.1.0 lacks, are compared with PyTorch float64 instead.
"""

import random

import pytest
from micrograd import nn

from tests.micrograd_programs import (
    LECTURE_MLP_TANH,
    LECTURE_NEURON_EXP,
    LECTURE_NEURON_TANH,
    MLP_3_16_16_1,
    MLP_FUNCTIONS,
    MLP_LOOPS,
    NEURON_FUNCTION,
    NEURON_LOOP,
    TEST_MORE_OPS,
    TEST_SANITY_CHECK,
)
from tests.oracles import (
    close,
    differences,
    execute_with_micrograd,
    micrograd_node_count,
    run_through_api,
    run_with_micrograd,
    run_with_torch,
)

MICROGRAD_PROGRAMS = {
    "neuron-function": NEURON_FUNCTION,
    "neuron-loop": NEURON_LOOP,
    "mlp-functions": MLP_FUNCTIONS,
    "mlp-loops": MLP_LOOPS,
    "test-more-ops": TEST_MORE_OPS,
    "test-sanity-check": TEST_SANITY_CHECK,
    "mlp-3-16-16-1": MLP_3_16_16_1,
}

TORCH_PROGRAMS = {
    "lecture-neuron-tanh": LECTURE_NEURON_TANH,
    "lecture-neuron-exp": LECTURE_NEURON_EXP,
    "lecture-mlp-tanh": LECTURE_MLP_TANH,
}


@pytest.mark.parametrize("name", MICROGRAD_PROGRAMS)
def test_program_matches_micrograd(client, name):
    source = MICROGRAD_PROGRAMS[name]
    ours, _ = run_through_api(client, source)
    assert differences(ours, run_with_micrograd(source)) == []


@pytest.mark.parametrize("name", TORCH_PROGRAMS)
def test_program_matches_pytorch(client, name):
    source = TORCH_PROGRAMS[name]
    ours, _ = run_through_api(client, source)
    assert differences(ours, run_with_torch(source)) == []


def test_large_mlp_program_makes_about_a_thousand_nodes(client):
    _, graph = run_through_api(client, MLP_3_16_16_1)
    theirs = micrograd_node_count(execute_with_micrograd(MLP_3_16_16_1).root)
    assert 1000 <= len(graph["nodes"]) <= 1200
    assert 1000 <= theirs <= 1200


def test_more_ops_gives_micrograds_published_numbers(client):
    """The numbers micrograd's README prints for this program (24.7041, 138.8338, 645.5773), in full."""
    ours, _ = run_through_api(client, TEST_MORE_OPS)
    (a, a_grad), (b, b_grad) = ours.leaves
    assert (a, b) == (-4.0, 2.0)
    assert abs(ours.root - 24.70408163265306) < 1e-12
    assert abs(a_grad - 138.83381924198252) < 1e-10
    assert abs(b_grad - 645.5772594752186) < 1e-10


def test_function_style_mlp_is_micrograds_own_mlp():
    """The oracle checks itself: the MLP written with functions makes the same weights, in the same order,
    and the same loss as micrograd's nn.MLP with the same seed."""
    run = execute_with_micrograd(MLP_FUNCTIONS)
    random.seed(1337)
    model = nn.MLP(2, [4, 4, 1])
    X = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [-1.0, -2.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    scores = [model(x) for x in X]
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores, strict=True)]
    total_loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    total_loss.backward()
    assert [p.data for p in model.parameters()] == [v.data for v in run.made]
    assert total_loss.data == run.root.data
    # micrograd orders its backward by a set of Values (by memory address): sums may differ in the last bit
    assert all(close(p.grad, v.grad) for p, v in zip(model.parameters(), run.made, strict=True))


def test_the_oracles_agree_where_both_apply():
    """PyTorch float64 and micrograd give the same numbers on the micrograd programs, so either may judge ours."""
    for source in MICROGRAD_PROGRAMS.values():
        assert differences(run_with_torch(source), run_with_micrograd(source)) == []
