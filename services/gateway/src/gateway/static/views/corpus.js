// One corpus: its manuscripts, its jobs with their progress, forms to import or upload into
// it, and a search over its text.

import { api } from "../api.js";
import { h, keyed, refresher, when } from "../dom.js";
import { crumbs } from "./crumbs.js";
import { importForm, uploadForm } from "./forms.js";
import { jobCard, updateJobCard } from "./progress.js";
import { searchForm } from "./search.js";

export function mount(root, corpusId) {
  const heading = h("h2", {}, "Corpus");
  const rows = h("tbody");
  const jobs = h("div", { class: "jobs" });
  const noJobs = h("p", { class: "muted" }, "No jobs in this corpus yet.");
  root.replaceChildren(
    h("section", {}, heading, searchForm({ corpus: corpusId, label: "Search this corpus" }),
      h("table", { class: "manuscripts" },
        h("thead", {}, h("tr", {}, ["manuscript", "status", "pages", "source", "created"]
          .map((name) => h("th", {}, name)))),
        rows)),
    h("section", { class: "commands" }, importForm(corpusId), uploadForm(corpusId)),
    h("section", {}, h("h3", {}, "Jobs"), noJobs, jobs),
  );

  async function load() {
    const [corpus, jobList] = await Promise.all([api.corpus(corpusId), api.jobs(100)]);
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
    const own = jobList.items.filter((job) => job.corpus_id === corpusId);
    // Unfinished or failing jobs are asked for one by one: only then are failed pages listed.
    const detailed = await Promise.all(own.map((job) =>
      job.status === "running" || job.status === "pending" || job.counts.failed ? api.job(job.id) : job));
    keyed(jobs, detailed, (job) => job.id, jobCard, updateJobCard);
    noJobs.hidden = detailed.length > 0;
  }

  const refresh = refresher(load);
  return {
    loaded: load(),
    onEvent(message) {
      if (/^(manuscript|job|page)\./.test(message.type)) refresh.schedule();
    },
    onTick() {
      if (jobs.querySelector(".status-running, .status-pending")) refresh.schedule();
    },
    dispose() { refresh.cancel(); },
  };
}
