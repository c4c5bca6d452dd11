// The page without a server: a copy made for a notebook (app/notebook.py) carries the answers the
// page would ask the API for, as JSON in <script id="chainrule-embedded">, and this module answers
// the page's requests from it. The served page has no such element: embeddedFetch is then null.

const element = document.getElementById("chainrule-embedded");
const embedded = element ? JSON.parse(element.textContent) : null;

const SERVER = "python -m app serve";

/**
 * A stand-in for fetch(url, {method, body}) that answers the API's routes from the embedded data
 * with a real Response, errors in the API's one error shape; null when the page has a server.
 */
export const embeddedFetch = embedded && (async (url, { method = "GET", body } = {}) => {
  const { status, payload } = answer(method, url, body === undefined ? null : JSON.parse(body));
  return new Response(JSON.stringify(payload), { status, headers: { "Content-Type": "application/json" } });
});

function answer(method, url, body) {
  if (method === "GET" && url === "/api/examples") return ok(embedded.examples);
  if (method === "GET" && url === "/api/language") return ok(embedded.language);
  if (method === "POST" && (url === "/api/graph" || url === "/api/view")) {
    if (body.source !== embedded.source) {
      return refused(`This copy of the page was made by show() in a notebook and holds only the program it was made for: run another program with show(...) again, or on the server (${SERVER}).`);
    }
    if (body.call != null) return refused(`Showing another backward call needs the server (${SERVER}).`);
    const graph = embedded.graphs[body.mode];
    if (!graph) return refused(embedded.missing[body.mode] ?? `The mode ${body.mode} was not embedded.`);
    const parts = embedded.views[body.mode][viewKey(graph, body.open)];
    if (!parts) {
      return refused(`Opening or closing these groups needs the server (${SERVER}): this copy holds ${Object.keys(embedded.views[body.mode]).length} views of the graph.`);
    }
    // views and layouts are stored once each and named by their index in `parts`
    const view = { view: embedded.parts[parts.view], layout: embedded.parts[parts.layout], layout_reason: parts.layout_reason };
    if (url === "/api/view") return ok(view);
    return ok({ ...graph, ...view, gradcheck: body.gradcheck ? embedded.gradcheck : null });
  }
  return { status: 404, payload: { error: { kind: "not_found", message: `${method} ${url} is not in this offline copy of the page` } } };
}

function ok(payload) {
  return { status: 200, payload };
}

function refused(message) {
  return { status: 409, payload: { error: { kind: "offline", message } } };
}

/**
 * The key app/notebook.py files a view under: "*" for the view the server chooses, else the open
 * groups that exist and whose ancestors are all open (as the server reads a request), by number.
 */
function viewKey(graph, open) {
  if (open == null) return "*";
  const parent = new Map((graph.groups ?? []).map((g) => [g.id, g.parent]));
  const asked = new Set(open.filter((id) => parent.has(id)));
  const shown = [...asked].filter((id) => {
    for (let g = parent.get(id); parent.has(g); g = parent.get(g)) if (!asked.has(g)) return false;
    return true;
  });
  return shown.sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))).join(",");
}
