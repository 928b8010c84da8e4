// The overview: corpora (and a form for a new one), recent jobs with live progress, and how far
// each service's consumer is behind.

import { api } from "../api.js";
import { h, keyed, refresher } from "../dom.js";
import { consumerLag } from "./consumers.js";
import { crumbs } from "./crumbs.js";
import { newCorpusForm } from "./forms.js";
import { jobCard, updateJobCard } from "./progress.js";

export function mount(root, _id, _params, features = {}) {
  crumbs(["overview"]);
  const lag = consumerLag(features.consumerLag);
  const corpora = h("ul", { class: "corpora" });
  const jobs = h("div", { class: "jobs" });
  const empty = h("p", { class: "muted" }, "No jobs yet: import a manifest or upload images.");
  root.replaceChildren(
    h("section", {}, h("h2", {}, "Corpora"), corpora, h("details", { class: "command" },
      h("summary", {}, "New corpus"), newCorpusForm())),
    h("section", {}, h("h2", {}, "Jobs"), empty, jobs),
    lag.element,
  );

  async function load() {
    const [corpusList, jobList] = await Promise.all([api.corpora(), api.jobs()]);
    keyed(corpora, corpusList.items, (c) => c.id,
      (c) => h("li", {}, h("a", { href: `#/corpus/${c.id}` }, c.title), h("span", { class: "muted" })),
      (item, c) => { item.querySelector("span").textContent = ` ${c.slug} · ${c.profile}`; });
    // The listing has no failed pages: ask for each unfinished job, which also has fresher counts.
    const detailed = await Promise.all(jobList.items.map((job) =>
      job.status === "running" || job.status === "pending" ? api.job(job.id) : job));
    keyed(jobs, detailed, (job) => job.id, jobCard, updateJobCard);
    empty.hidden = detailed.length > 0;
  }

  const refresh = refresher(load);
  const loaded = load();
  return {
    loaded,
    onEvent(message) {
      if (/^(job|page|manuscript|corpus)\./.test(message.type)) refresh.schedule();
    },
    onTick() {
      if (jobs.querySelector(".status-running, .status-pending")) refresh.schedule();
    },
    dispose() {
      refresh.cancel();
      lag.dispose();
    },
  };
}
