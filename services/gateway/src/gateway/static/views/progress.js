// A job's per-stage progress bars, updated in place as its counts change, with the buttons
// that cancel it or retry its failed pages.

import { api } from "../api.js";
import { h, shortId, when } from "../dom.js";
import { clearProblem, problemBox, showProblem } from "./problems.js";

export const STAGES = ["registered", "normalised", "analyzed", "exported", "failed"];
const UNFINISHED = new Set(["pending", "running"]);

export function jobCard(job) {
  const bars = STAGES.map((stage) =>
    h("div", { class: `stage stage-${stage}` },
      h("span", { class: "stage-name" }, stage),
      h("progress", { class: "stage-bar", "data-stage": stage, value: 0, max: 1 }),
      h("span", { class: "stage-count" }, "0")));
  const problems = problemBox("job-problems");
  const note = h("span", { class: "job-note muted", role: "status" });
  const act = (button, send, done) => async () => {
    clearProblem(problems);
    button.disabled = true;
    try {
      note.textContent = done(await send());
    } catch (error) {
      showProblem(problems, error);
    } finally {
      button.disabled = false;
    }
  };
  const name = `${job.kind} ${shortId(job.id)}`;
  const cancel = h("button", { type: "button", class: "job-cancel" }, "Cancel");
  cancel.addEventListener("click", () => {
    if (!confirm(`Cancel ${name}? Pages already done stay; the others stop at their next stage.`)) return;
    act(cancel, () => api.cancelJob(job.id), () => "cancel requested")();
  });
  const retry = h("button", { type: "button", class: "job-retry" }, "Retry failed pages");
  retry.addEventListener("click", act(retry, () => api.retryJob(job.id),
    (answer) => `${answer.retried.length} page${answer.retried.length === 1 ? "" : "s"} sent again`));
  return h("article", { class: "job", "data-job": job.id, "aria-label": `job ${name}` },
    h("header", {},
      h("span", { class: "job-status" }),
      h("strong", {}, name),
      h("span", { class: "job-times muted" }),
      h("span", { class: "job-actions" }, cancel, retry, note),
      job.manuscript_id
        ? h("a", { class: "job-pages", href: `#/manuscript/${job.manuscript_id}` }, "pages →")
        : null),
    h("div", { class: "stages" }, bars),
    h("p", { class: "job-error" }),
    problems);
}

export function updateJobCard(card, job) {
  const counts = job.counts || {};
  // Until the manifest is read the page count is unknown: the bars then show what arrived.
  const total = Math.max(job.expected_pages || 0, counts.registered || 0, 1);
  const status = card.querySelector(".job-status");
  status.textContent = job.status;
  status.className = `job-status badge status-${job.status}`;
  card.dataset.status = job.status;
  card.querySelector(".job-times").textContent =
    `started ${when(job.started_at || job.created_at)}` +
    (job.finished_at ? ` · finished ${when(job.finished_at)}` : "");
  card.querySelector(".job-cancel").hidden = !UNFINISHED.has(job.status);
  card.querySelector(".job-retry").hidden = !(counts.failed > 0) || job.status === "cancelled";
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
