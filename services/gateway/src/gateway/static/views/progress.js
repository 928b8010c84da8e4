// A job's per-stage progress bars, updated in place as its counts change.

import { h, shortId, when } from "../dom.js";

export const STAGES = ["registered", "normalised", "analyzed", "exported", "failed"];

export function jobCard(job) {
  const bars = STAGES.map((stage) =>
    h("div", { class: `stage stage-${stage}` },
      h("span", { class: "stage-name" }, stage),
      h("progress", { class: "stage-bar", "data-stage": stage, value: 0, max: 1 }),
      h("span", { class: "stage-count" }, "0")));
  return h("article", { class: "job", "data-job": job.id },
    h("header", {},
      h("span", { class: "job-status" }),
      h("strong", {}, `${job.kind} ${shortId(job.id)}`),
      h("span", { class: "job-times muted" }),
      job.manuscript_id
        ? h("a", { class: "job-pages", href: `#/manuscript/${job.manuscript_id}` }, "pages →")
        : null),
    h("div", { class: "stages" }, bars),
    h("p", { class: "job-error" }));
}

export function updateJobCard(card, job) {
  const counts = job.counts || {};
  // Until the manifest is read the page count is unknown: the bars then show what arrived.
  const total = Math.max(job.expected_pages || 0, counts.registered || 0, 1);
  const status = card.querySelector(".job-status");
  status.textContent = job.status;
  status.className = `job-status badge status-${job.status}`;
  card.querySelector(".job-times").textContent =
    `started ${when(job.started_at || job.created_at)}` +
    (job.finished_at ? ` · finished ${when(job.finished_at)}` : "");
  for (const stage of STAGES) {
    const bar = card.querySelector(`progress[data-stage="${stage}"]`);
    bar.max = total;
    bar.value = counts[stage] || 0;
    bar.title = `${stage}: ${bar.value} of ${job.expected_pages ?? "?"}`;
    bar.parentElement.querySelector(".stage-count").textContent =
      `${counts[stage] || 0} / ${job.expected_pages ?? "?"}`;
  }
  const failed = (job.failed_pages || []).map((p) => `${shortId(p.page_id)}: ${p.stage} ${p.reason}`);
  const error = [job.import_error, ...failed].filter(Boolean).join("\n");
  card.querySelector(".job-error").textContent = error;
  card.querySelector(".job-error").hidden = !error;
}
