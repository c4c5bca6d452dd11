// steps.js (with view-model.js and aliasing.js): what every box shows after k steps, over records
// the server makes (so the tests follow the API), computed without the DOM.

import { fetchExamples, fetchGraph } from "/static/api.js";
import { aliasing, valueAfter } from "/static/aliasing.js";
import { backwardState, buildModel, forwardState, nodeGrads, stateAt, stepChanges, stepCount } from "/static/steps.js";
import { backwardOrder, stepCovering, underlyingCount } from "/static/view-model.js";
import { eq, ok, test } from "./check.js";

const DIAMOND = "a = 2\nb = 3\nc = 4\nL = (a*b + c) * (a - c)";
const DOUBLED = "x = [1, 2]\nh = x + x\nL = h + h";

async function model(source, mode = "correct") {
  return buildModel(await fetchGraph({ source, mode }), source);
}

const byLabel = (m, label) => m.graph.nodes.find((n) => n.label === label).id;

test("nothing is known at step 0; every final gradient at the end", async () => {
  const m = await model(DIAMOND);
  const n = m.backwardCount;
  for (const s of nodeGrads(m, 0).values()) eq(s.grad, undefined);
  for (const node of m.graph.nodes) eq(nodeGrads(m, n).get(node.id).grad, node.grad, node.label ?? node.id);
  // summing where a value is used twice, done once its every contribution is in
  const end = nodeGrads(m, n);
  eq(m.graph.nodes.filter((x) => end.get(x.id).summing).map((x) => x.label).sort(), ["a", "c"]);
  ok([...end.values()].every((s) => s.done), "all done at the end");
});

test("a node shows the running sum of what it has received", async () => {
  const m = await model(DIAMOND);
  const c = byLabel(m, "c");
  const arrivals = m.arrivals.get(c);
  eq(arrivals.length, 2);
  const [first, second] = arrivals;
  eq(nodeGrads(m, first.step).get(c).grad, first.event.grad_after);
  eq(nodeGrads(m, first.step).get(c).done, false);
  eq(nodeGrads(m, second.step).get(c).grad, second.event.grad_after);
  eq(nodeGrads(m, second.step).get(c).done, true);
});

test("overwrite: a gradient differs only once it is final", async () => {
  const m = await model(DIAMOND, "overwrite");
  const [a, c] = [byLabel(m, "a"), byLabel(m, "c")];
  eq(m.differs.has(a) && m.differs.has(c), true);
  eq([...nodeGrads(m, 0).values()].some((s) => s.differs), false);
  // step 3: c has both of its contributions (and kept the last), a one of its two
  eq(nodeGrads(m, 3).get(c).differs, true);
  eq(nodeGrads(m, 3).get(a).differs, false);
  eq(nodeGrads(m, m.backwardCount).get(a).differs, true);
});

test("alias: an in-place add changes every gradient sharing the array, and says what it added", async () => {
  const m = await model(DOUBLED, "alias");
  const [x, h, L] = ["x", "h", "L"].map((label) => byLabel(m, label));
  const accumulated = m.graph.backward_steps.flatMap((s) => s.events).filter((e) => e.accumulated);
  const first = aliasing(m).events.get(accumulated[0]);
  eq(first.shared, [L], "h's gradient is the array L's seed is");
  eq([first.before, first.contribution, first.after], [[1, 1], [1, 1], [2, 2]], "the sum adds up");
  // after step 1, L (never a receiver) shows the doubled array too; none is final yet
  const one = nodeGrads(m, 1);
  eq([one.get(h).grad, one.get(L).grad], [[2, 2], [2, 2]]);
  eq([one.get(h).differs, one.get(L).differs], [false, false]);
  const end = nodeGrads(m, m.backwardCount);
  eq([end.get(x).grad, end.get(h).grad, end.get(L).grad], [[4, 4], [4, 4], [4, 4]]);
  eq(aliasing(await model(DOUBLED)).events.size, 0, "no alias outside the alias bug");
});

test("alias: a gradient that is a transposed view of the array added to reads its own view of the sum", async () => {
  const source = "x = [[1, 2, 3], [4, 5, 6]]\nw = [[1, 0, 2], [0, 3, 1]]\ny = x.reshape(3, 2)\nz = y.T\ns = z + x\nL = sum(s * w)";
  const m = await model(source, "alias");
  const y = byLabel(m, "y");
  const k = m.graph.backward_steps.findIndex((s) => s.events.some((e) => e.alias)) + 1;
  const event = m.graph.backward_steps[k - 1].events.find((e) => e.alias);
  const alias = aliasing(m).events.get(event);
  ok(alias.shared.includes(y), "y shares the memory");
  eq(nodeGrads(m, k).get(y).grad, alias.views[y], "y after the add");
  eq(nodeGrads(m, k).get(y).grad.length, 3, "in y's own shape (3,2)");
  eq(nodeGrads(m, k).get(byLabel(m, "z")).grad, event.grad_after, "z, the same array, reads the sum as it is");
});

test("view steps: a step count per direction, and the step covering an underlying one", async () => {
  const m = await model(DIAMOND);
  eq(stepCount(m, "backward"), m.backwardCount);
  eq(stepCount(m, "forward"), m.forwardCount - m.view.folded.size);
  const steps = [{ box: "g1", first: 0, count: 3 }, { box: "n2", first: 3, count: 1 }];
  eq([0, 1, 2].map((k) => underlyingCount(steps, k)), [0, 3, 4]);
  eq([0, 1, 3, 4].map((u) => stepCovering(steps, u)), [0, 1, 1, 2]);
});

test("backwardState and forwardState: the firing box, the sent edges", async () => {
  const m = await model(DIAMOND);
  const s = backwardState(m, 1);
  eq(s.active, m.graph.backward_steps[0].node);
  eq(s.sentEdges.size, m.graph.backward_steps[0].events.length);
  eq(s.currentEdges.size, s.sentEdges.size);
  const f = forwardState(m, 1);
  eq(f.active, m.view.steps.forward[0].box);
  ok([...f.boxes.values()].filter((b) => b.computed).length >= 1);
});

test("backward order: boxes as they fire, leaves as their gradient completes", async () => {
  const m = await model(DIAMOND);
  const order = backwardOrder(m);
  eq(order.length, m.view.boxes.size);
  eq(order[0], m.root);
  const fired = m.graph.backward_steps.map((s) => s.node);
  eq(order.filter((id) => fired.includes(id)), fired);
  // a leaf comes right after the step that completes its gradient
  for (const leaf of m.graph.nodes.filter((n) => n.kind === "leaf" && m.view.boxes.has(n.id))) {
    const last = Math.max(...m.arrivals.get(leaf.id).map((a) => a.step));
    const firing = m.graph.backward_steps[last - 1].node;
    ok(order.indexOf(leaf.id) > order.indexOf(firing), `${leaf.label} after ${firing}`);
  }
});

// two calls of one function (closed: each call is one box that fires as one step), an input used twice
const CALLS = "def neuron(x, w, b):\n    return (x * w + b).tanh()\n\n"
  + "x = 0.5\nh1 = neuron(x, -1.5, 0.25)\nh2 = neuron(x, 2.0, -0.5)\nL = h1 * h2 + x";

// y, z = y.T and x share memory under the alias bug: an add into one changes the others' gradients
const VIEWS = "x = [[1, 2, 3], [4, 5, 6]]\nw = [[1, 0, 2], [0, 3, 1]]\ny = x.reshape(3, 2)\nz = y.T\ns = z + x\nL = sum(s * w)";
const sorted = (changes) => changes && { boxes: [...changes.boxes].sort(), edges: [...changes.edges].sort() };

test("stepChanges: a box or edge left out keeps its state across the step, either way", async () => {
  const cases = [[DIAMOND, "correct"], [DIAMOND, "overwrite"], [DOUBLED, "alias"], [VIEWS, "alias"], [CALLS, "correct"]];
  let narrowed = 0;
  for (const [source, mode] of cases) {
    const m = await model(source, mode);
    for (const direction of ["backward", "forward"]) {
      const n = stepCount(m, direction);
      for (let k = 1; k <= n; k++) {
        const changes = stepChanges(m, direction, k - 1, k);
        eq(sorted(stepChanges(m, direction, k, k - 1)), sorted(changes), "the same either way");
        if (changes === null) continue;
        const [before, after] = [stateAt(m, direction, k - 1), stateAt(m, direction, k)];
        const what = `${mode} ${direction} step ${k}`;
        for (const [id, box] of after.boxes) {
          if (!changes.boxes.has(id)) eq(box, before.boxes.get(id), `${what}: box ${id}`);
        }
        for (const id of m.view.edges.keys()) {
          if (changes.edges.has(id)) continue;
          eq(after.sentEdges.has(id), before.sentEdges.has(id), `${what}: edge ${id} sent`);
          eq(after.currentEdges.has(id), before.currentEdges.has(id), `${what}: edge ${id} current`);
        }
        if (changes.boxes.size < m.view.boxes.size) narrowed += 1;
      }
    }
  }
  ok(narrowed > 10, `steps that change only some boxes (${narrowed})`);
  const m = await model(DIAMOND);
  eq(stepChanges(m, "backward", 0, 2), null, "a jump: anything may differ");
  eq(stepChanges(m, "backward", m.backwardCount - 1, m.backwardCount), null, "the end: every gradient final");
});

// A state's maps and sets as plain data, to compare two states.
const plain = (s) => ({ nodes: [...s.nodes], boxes: [...s.boxes], sentEdges: [...s.sentEdges] });

// The backward state after k view steps the long way, as steps.js computed it before it went on
// from the last state: every step from the first, every node and box.
function fromScratch(m, k) {
  const view = m.view;
  const n = m.backwardCount;
  const steps = m.graph.backward_steps;
  const u = underlyingCount(view.steps.backward, k);
  const shared = aliasing(m).events;
  const received = new Map();
  const latest = new Map();
  const sentEdges = new Set();
  const along = new Map();
  for (let i = 0; i < u && i < n; i++) {
    for (const event of steps[i].events) {
      received.set(event.to, (received.get(event.to) ?? 0) + 1);
      latest.set(event.to, event.grad_after);
      const alias = shared.get(event);
      for (const id of alias?.shared ?? []) latest.set(id, valueAfter(alias, id));
      const edge = view.viewEdgeOf.get(event.edge);
      if (edge === undefined || sentEdges.has(edge)) continue;
      sentEdges.add(edge);
      const box = view.edges.get(edge).source;
      along.set(box, (along.get(box) ?? 0) + 1);
    }
  }
  const seed = n && steps[0].node === m.root ? steps[0].grad : m.nodes.get(m.root)?.grad;
  const nodes = new Map();
  for (const node of m.graph.nodes) {
    const count = received.get(node.id) ?? 0;
    const isRoot = node.id === m.root;
    let grad;
    if (u >= n) grad = node.grad;
    else if (latest.has(node.id)) grad = latest.get(node.id);
    else if (isRoot && u >= 1) grad = seed;
    const expected = m.expected.get(node.id) ?? 0;
    const done = isRoot ? u >= 1 || n === 0 : expected > 0 && count >= expected;
    const differs = m.differs.has(node.id) && (u >= n || (done && JSON.stringify(grad) === JSON.stringify(node.grad)));
    nodes.set(node.id, { grad, received: count, summing: count >= 2, done, differs });
  }
  const boxes = new Map();
  for (const box of view.boxes.values()) {
    if (box.kind !== "group") {
      boxes.set(box.id, nodes.get(box.id));
      continue;
    }
    const outputs = box.outputs.map((id) => nodes.get(id));
    const a = along.get(box.id) ?? 0;
    boxes.set(box.id, {
      grad: outputs.length === 1 ? outputs[0].grad : undefined, outputs, received: a, summing: a >= 2,
      done: outputs.length > 0 && outputs.every((o) => o.done), differs: outputs.some((o) => o.differs),
    });
  }
  return { nodes, boxes, sentEdges };
}

test("a backward state gone on to from an earlier one equals the state computed the long way", async () => {
  const mlp = (await fetchExamples()).find((e) => e.id === "micrograd-mlp").source;
  const cases = [[DIAMOND, "correct"], [DIAMOND, "overwrite"], [DOUBLED, "alias"], [mlp, "correct"]];
  for (const [source, mode] of cases) {
    const m = await model(source, mode);
    ok(source !== mlp || [...m.view.boxes.values()].some((b) => b.kind === "group"), "the MLP has closed calls");
    const n = stepCount(m, "backward");
    // step by step to the end, then seeks back and forth (a fixed pseudo-random walk)
    const ks = [...Array(n + 1).keys()];
    let seed = 7;
    for (let i = 0; i < 40; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      ks.push(seed % (n + 1));
    }
    for (const k of ks) eq(plain(backwardState(m, k)), plain(fromScratch(m, k)), `${mode} ${source.split("\n").at(-1)}, step ${k}`);
  }
});
