// One page, to read and to edit: its image with the lines drawn over it, the current
// transcription line by line, its editorial status, versions, candidates, exports and history.
// Every edit to it, here or in another dashboard, arrives through the feed and is shown.

import { api, withKey } from "../api.js";
import { h, refresher, svg, when } from "../dom.js";
import { candidatesPanel } from "./candidates.js";
import { crumbs } from "./crumbs.js";
import { updateDownloads } from "./downloads.js";
import { lineEditor } from "./editor.js";
import { drawOverlay, markLine } from "./overlay.js";
import { statusControl } from "./status.js";
import { versionsPanel } from "./versions.js";

const DETAILS = ["engine", "mean_confidence", "stage", "attempt", "code", "reason", "format", "step",
  "status", "actor"];

export function mount(root, pageId, params = new URLSearchParams()) {
  const heading = h("h2", {}, "Page");
  const status = h("p", { class: "muted page-status" });
  const live = h("p", { class: "live-note muted", role: "status" });
  const image = h("img", { class: "page-image", alt: "page image" });
  const layer = svg("svg", { class: "overlay" });
  const figure = h("div", { class: "page-figure" }, image);
  figure.append(layer);
  const reload = () => refresh.now();
  const mark = (lineId, className, on) => markLine(layer, lineId, className, on);
  const editor = lineEditor({ pageId, mark, reload });
  const editorial = statusControl({ pageId, reload });
  const versions = versionsPanel({ pageId });
  const candidates = candidatesPanel({ pageId, reload });
  const downloads = h("ul", { class: "downloads" });
  const freshness = h("p", { class: "exports-state muted", role: "status" });
  const history = h("ol", { class: "history" });
  root.replaceChildren(
    h("section", {}, heading, status, live),
    h("div", { class: "page-layout" }, figure,
      h("div", { class: "page-side" },
        h("h3", {}, "Transcription"),
        h("p", { class: "hint muted" }, "Choose a line, here or on the image, to correct it."),
        editor.element,
        h("h3", {}, "Editorial status"), editorial.element,
        h("h3", {}, "Downloads"), freshness, downloads)),
    h("section", {}, h("h3", {}, "Versions"), versions.element),
    h("section", {}, h("h3", {}, "Candidates"), candidates.element),
    h("section", {}, h("details", {}, h("summary", {}, h("h3", {}, "History")), history)),
  );
  // A click on a line drawn over the image edits it, as a click on its text does.
  layer.addEventListener("click", (event) => {
    const line = event.target.closest("[data-line]");
    if (line) editor.open(line.dataset.line);
  });
  let drawn = null;
  let wanted = params.get("line");

  async function load() {
    const [page, transcription, versionList, offered, events] = await Promise.all([
      api.page(pageId), api.transcription(pageId), api.versions(pageId), api.candidates(pageId),
      api.history(pageId),
    ]);
    const title = page.label || `page ${page.index + 1}`;
    crumbs(["overview", "#/"], ["manuscript", `#/manuscript/${page.manuscript_id}`], [title]);
    heading.textContent = title;
    const confidence = page.confidence == null ? "" : ` · confidence ${page.confidence.toFixed(2)}`;
    status.textContent = `${page.status}${page.engine ? ` · ${page.engine}` : ""}${confidence}`
      + ` · version ${transcription.version} · ${transcription.status.replace("_", " ")}`;
    status.className = `muted page-status status-${page.status}`;
    status.dataset.version = transcription.version;
    showImage(page.links["image-derivative"] || page.links["image-master"]);
    const analysis = transcription.analysis_ref?.sha256 ?? null;
    if (transcription.analysis && drawn !== analysis) {
      drawOverlay(layer, transcription.analysis);
      drawn = analysis;
    }
    editor.update(transcription);
    editorial.update(transcription);
    versions.update(versionList);
    candidates.update(offered);
    updateDownloads(downloads, page.links);
    freshness.textContent = exportsState(events.events, analysis);
    history.replaceChildren(...events.events.map(historyItem));
    if (wanted && editor.reveal(wanted)) wanted = null;
  }

  function showImage(source) {
    image.hidden = !source;  // not normalised yet: nothing to show
    if (source && image.dataset.source !== source) {
      image.dataset.source = source;
      image.src = withKey(source);
    }
  }

  const refresh = refresher(load);
  return {
    loaded: load(),
    onEvent(message) {
      if (message.stream_id !== `page-${pageId}`) return;
      live.textContent = `${message.type} at ${when(message.occurred_at)}`;
      refresh.schedule();
    },
    onTick() {},
    dispose() { refresh.cancel(); },
  };
}

// Exports follow every edit: say whether the files offered are those of the current text.
function exportsState(events, analysis) {
  const exported = events.filter((event) => event.type === "page.exported").at(-1);
  if (!exported || !analysis) return "";
  return exported.data.analysis?.sha256 === analysis
    ? "The exports are those of the current text."
    : "The exports are being made again from the current text…";
}

function historyItem(event) {
  const details = DETAILS.filter((name) => event.data[name] !== undefined && event.data[name] !== null)
    .map((name) => `${name}: ${event.data[name]}`).join(" · ");
  return h("li", { class: `event event-${event.type.replace(/\./g, "-")}` },
    h("span", { class: "event-type" }, event.type),
    h("span", { class: "muted" }, ` ${when(event.occurred_at)} `),
    details ? h("span", { class: "event-details" }, details) : null);
}
