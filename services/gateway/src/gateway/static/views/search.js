// Full-text search over the lines of every corpus, or of one: hits with their snippets, each
// a link to its page in the editor with the line found marked.

import { api, getJson } from "../api.js";
import { h, shortId } from "../dom.js";
import { crumbs } from "./crumbs.js";
import { clearProblem, problemBox, showProblem } from "./problems.js";
import { snippetNodes } from "./snippet.js";

export function searchHash(q, corpus) {
  const query = new URLSearchParams({ q });
  if (corpus) query.set("corpus", corpus);
  return `#/search?${query}`;
}

export function searchForm({ corpus = null, label = "Search", value = "" } = {}) {
  const id = `search-q-${corpus || "all"}`;
  const input = h("input", { id, type: "search", name: "q", required: true, value, maxlength: "500" });
  const form = h("form", { class: "search-form", role: "search" },
    h("label", { for: id }, label), input, h("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = searchHash(input.value.trim(), corpus);
    // The same search again is asked again: the index may have caught up meanwhile.
    if (location.hash === wanted) window.dispatchEvent(new HashChangeEvent("hashchange"));
    else location.hash = wanted;
  });
  return form;
}

export function mount(root, _, params = new URLSearchParams()) {
  const q = params.get("q") || "";
  const corpus = params.get("corpus");
  crumbs(...[["overview", "#/"], corpus ? ["corpus", `#/corpus/${corpus}`] : null, ["search"]]
    .filter(Boolean));
  const summary = h("p", { class: "search-summary", role: "status" });
  const hits = h("ol", { class: "search-hits" });
  const problems = problemBox("search-problems");
  const more = h("button", { type: "button", class: "search-more", hidden: true }, "More results");
  root.replaceChildren(h("section", {},
    h("h2", {}, corpus ? "Search this corpus" : "Search"),
    searchForm({ corpus, label: "Search for", value: q }), problems, summary, hits, more));
  const manuscripts = new Map();
  let next = null;

  // Manuscripts are named by their labels, each asked for once.
  async function label(manuscriptId) {
    if (!manuscripts.has(manuscriptId)) {
      manuscripts.set(manuscriptId, api.manuscript(manuscriptId)
        .then((m) => m.label || m.manifest_id || shortId(m.id)).catch(() => shortId(manuscriptId)));
    }
    return manuscripts.get(manuscriptId);
  }

  async function hit(item) {
    const where = `#/page/${item.page_id}?${new URLSearchParams({ line: item.line_id })}`;
    return h("li", { class: "hit", "data-page": item.page_id, "data-line": item.line_id },
      h("a", { class: "hit-link", href: where }, h("span", { class: "snippet" }, snippetNodes(item.snippet))),
      h("span", { class: "muted" }, ` — ${await label(item.manuscript_id)}, page ${shortId(item.page_id)}, `
        + `line ${item.line_id}`));
  }

  async function show(results) {
    hits.append(...await Promise.all(results.items.map(hit)));
    summary.textContent = `${results.total} line${results.total === 1 ? "" : "s"} found for “${q}”`;
    // Only a further page of this same search is followed.
    next = typeof results.next === "string" && results.next.startsWith("/v1/search?") ? results.next : null;
    more.hidden = !next;
  }

  more.addEventListener("click", async () => {
    clearProblem(problems);
    try {
      await show(await getJson(next));
    } catch (error) {
      showProblem(problems, error);
    }
  });

  async function load() {
    if (!q) return;
    try {
      await show(await api.search(q, corpus));
    } catch (error) {
      showProblem(problems, error);
    }
    hits.dataset.loaded = "yes";
  }

  return { loaded: load(), onEvent() {}, onTick() {}, dispose() {} };
}
