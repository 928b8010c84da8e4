// One manuscript: its exports, its job's progress and the grid of its pages.

import { api } from "../api.js";
import { h, refresher } from "../dom.js";
import { crumbs } from "./crumbs.js";
import { updateDownloads } from "./downloads.js";
import { pageGrid, updatePageGrid } from "./grid.js";
import { jobCard, updateJobCard } from "./progress.js";
import { viewerLink } from "./viewer_link.js";

export function mount(root, manuscriptId) {
  const heading = h("h2", {}, "Manuscript");
  const summary = h("p", { class: "muted" });
  const downloads = h("ul", { class: "downloads" });
  const viewer = h("p", { class: "viewer" });
  const job = h("div", { class: "jobs" });
  const grid = pageGrid();
  root.replaceChildren(
    h("section", {}, heading, summary, viewer, h("h3", {}, "Downloads"), downloads),
    h("section", {}, h("h3", {}, "Progress"), job),
    h("section", {}, h("h3", {}, "Pages"), grid),
  );
  let corpusCrumb = null;

  async function load() {
    const manuscript = await api.manuscript(manuscriptId);
    if (!corpusCrumb) {
      const corpus = await api.corpus(manuscript.corpus_id);
      corpusCrumb = [corpus.title, `#/corpus/${corpus.id}`];
    }
    const title = manuscript.label || manuscript.manifest_id || manuscript.id;
    crumbs(["overview", "#/"], corpusCrumb, [title]);
    heading.textContent = title;
    summary.textContent = `${manuscript.status} · ${manuscript.page_count ?? "?"} pages · ` +
      `${manuscript.source_kind}${manuscript.error ? ` · ${manuscript.error.reason || ""}` : ""}`;
    updateDownloads(downloads, manuscript.links);
    viewerLink(viewer, manuscript.links);
    const [pages, progress] = await Promise.all([
      api.pages(manuscriptId),
      manuscript.job_id ? api.job(manuscript.job_id) : null,
    ]);
    updatePageGrid(grid, pages.items);
    if (progress) {
      if (!job.firstChild) job.append(jobCard(progress));
      updateJobCard(job.firstChild, progress);
    }
  }

  const refresh = refresher(load);
  return {
    loaded: load(),
    onEvent(message) {
      if (/^(job|page|manuscript)\./.test(message.type)) refresh.schedule();
    },
    onTick() {
      if (job.querySelector(".status-running, .status-pending")) refresh.schedule();
    },
    dispose() { refresh.cancel(); },
  };
}
