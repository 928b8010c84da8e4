// One page: its image with the analysis drawn over it, its transcription, history and exports.

import { api, getJson, withKey } from "../api.js";
import { h, refresher, svg, when } from "../dom.js";
import { crumbs } from "./crumbs.js";
import { updateDownloads } from "./downloads.js";
import { drawOverlay, highlightLine, inReadingOrder } from "./overlay.js";

const DETAILS = ["engine", "mean_confidence", "stage", "attempt", "code", "reason", "format", "step"];

export function mount(root, pageId) {
  const heading = h("h2", {}, "Page");
  const status = h("p", { class: "muted" });
  const image = h("img", { class: "page-image", alt: "page image" });
  const layer = svg("svg", { class: "overlay" });
  const figure = h("div", { class: "page-figure" }, image);
  figure.append(layer);
  const transcription = h("div", { class: "transcription" });
  const downloads = h("ul", { class: "downloads" });
  const history = h("ol", { class: "history" });
  root.replaceChildren(
    h("section", {}, heading, status),
    h("div", { class: "page-layout" }, figure,
      h("div", { class: "page-side" },
        h("h3", {}, "Transcription"), transcription,
        h("h3", {}, "Downloads"), downloads,
        h("h3", {}, "History"), history)),
  );
  let shownAnalysis = null;

  async function load() {
    const page = await api.page(pageId);
    const title = page.label || `page ${page.index + 1}`;
    crumbs(["overview", "#/"], ["manuscript", `#/manuscript/${page.manuscript_id}`], [title]);
    heading.textContent = title;
    const confidence = page.confidence == null ? "" : ` · confidence ${page.confidence.toFixed(2)}`;
    status.textContent = `${page.status}${page.engine ? ` · ${page.engine}` : ""}${confidence}`;
    status.className = `muted status-${page.status}`;
    const source = page.links["image-derivative"] || page.links["image-master"];
    image.hidden = !source;  // not normalised yet: nothing to show
    if (source && image.dataset.source !== source) {
      image.dataset.source = source;
      image.src = withKey(source);
    }
    updateDownloads(downloads, page.links);
    const [events] = await Promise.all([api.history(pageId), showAnalysis(page.links.analysis)]);
    history.replaceChildren(...events.events.map(historyItem));
  }

  async function showAnalysis(link) {
    if (!link) {
      transcription.replaceChildren(h("p", { class: "muted" }, "Not analysed yet."));
      return;
    }
    if (shownAnalysis === link) return;
    const analysis = await getJson(link);
    shownAnalysis = link;
    drawOverlay(layer, analysis);
    const lines = inReadingOrder(analysis).flatMap((region) => region.lines);
    transcription.replaceChildren(...lines.map((line) => h("p", {
      class: "transcription-line",
      "data-line": line.id,
      onmouseenter: () => highlightLine(layer, line.id, true),
      onmouseleave: () => highlightLine(layer, line.id, false),
    }, line.text)));
  }

  const refresh = refresher(load);
  return {
    loaded: load(),
    onEvent(message) {
      if (message.stream_id === `page-${pageId}`) refresh.schedule();
    },
    onTick() {},
    dispose() { refresh.cancel(); },
  };
}

function historyItem(event) {
  const details = DETAILS.filter((name) => event.data[name] !== undefined && event.data[name] !== null)
    .map((name) => `${name}: ${event.data[name]}`).join(" · ");
  return h("li", { class: `event event-${event.type.replace(/\./g, "-")}` },
    h("span", { class: "event-type" }, event.type),
    h("span", { class: "muted" }, ` ${when(event.occurred_at)} `),
    details ? h("span", { class: "event-details" }, details) : null);
}
