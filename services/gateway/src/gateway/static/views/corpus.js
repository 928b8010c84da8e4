// One corpus and its manuscripts.

import { api } from "../api.js";
import { h, keyed, refresher, when } from "../dom.js";
import { crumbs } from "./crumbs.js";

export function mount(root, corpusId) {
  const heading = h("h2", {}, "Corpus");
  const rows = h("tbody");
  root.replaceChildren(h("section", {}, heading,
    h("table", { class: "manuscripts" },
      h("thead", {}, h("tr", {}, ["manuscript", "status", "pages", "source", "created"]
        .map((name) => h("th", {}, name)))),
      rows)));

  async function load() {
    const corpus = await api.corpus(corpusId);
    crumbs(["overview", "#/"], [corpus.title]);
    heading.textContent = `${corpus.title} (${corpus.slug}, profile ${corpus.profile})`;
    keyed(rows, corpus.manuscripts.items, (m) => m.id,
      (m) => h("tr", {}, h("td", {}, h("a", { href: `#/manuscript/${m.id}` })),
        h("td"), h("td"), h("td"), h("td")),
      (row, m) => {
        const cells = row.querySelectorAll("td");
        cells[0].firstChild.textContent = m.label || m.manifest_id || m.id;
        cells[1].textContent = m.status;
        cells[1].className = `status-${m.status}`;
        cells[2].textContent = m.page_count ?? "?";
        cells[3].textContent = m.source_kind;
        cells[4].textContent = when(m.created_at);
      });
  }

  const refresh = refresher(load);
  return {
    loaded: load(),
    onEvent(message) {
      if (/^(manuscript|job)\./.test(message.type)) refresh.schedule();
    },
    onTick() {},
    dispose() { refresh.cancel(); },
  };
}
