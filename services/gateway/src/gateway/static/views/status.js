// The page's editorial status: where it stands on the way to publication, and the moves the
// gateway allows from there (forward one step, or back to review).

import { api } from "../api.js";
import { h } from "../dom.js";
import { clearProblem, problemBox, showProblem } from "./problems.js";

const STEPS = ["machine_draft", "needs_review", "reviewed", "validated", "published"];
// As `contracts.editions.ALLOWED_TRANSITIONS`; the gateway refuses anything else anyway.
const MOVES = {
  machine_draft: ["needs_review"],
  needs_review: ["reviewed", "machine_draft"],
  reviewed: ["validated", "needs_review"],
  validated: ["published", "needs_review"],
  published: ["needs_review"],
};

const label = (status) => status.replace("_", " ");

export function statusControl({ pageId, reload }) {
  const steps = h("ol", { class: "status-steps", "aria-label": "editorial status" },
    STEPS.map((step) => h("li", { "data-status": step }, label(step))));
  const moves = h("div", { class: "status-moves" });
  const problems = problemBox("status-problems");
  const element = h("div", { class: "editorial-status" }, steps, moves, problems);
  let transcription = null;

  async function move(status, button) {
    clearProblem(problems);
    button.disabled = true;
    try {
      await api.setStatus(pageId, { expected_version: transcription.version, status });
      await reload();
    } catch (error) {
      showProblem(problems, error);
    } finally {
      button.disabled = false;
    }
  }

  function update(next) {
    const changed = !transcription || transcription.status !== next.status
      || Boolean(transcription.analysis) !== Boolean(next.analysis);
    transcription = next;
    element.dataset.status = next.status;
    if (!changed) return;
    for (const step of steps.children) {
      const current = step.dataset.status === next.status;
      step.classList.toggle("current", current);
      if (current) step.setAttribute("aria-current", "step");
      else step.removeAttribute("aria-current");
    }
    // Nothing to judge before the page has a transcription.
    moves.replaceChildren(...(next.analysis ? MOVES[next.status] : []).map((status) => {
      const button = h("button", { type: "button", class: "status-move", "data-to": status },
        `${STEPS.indexOf(status) > STEPS.indexOf(next.status) ? "Mark" : "Back to"} ${label(status)}`);
      button.addEventListener("click", () => move(status, button));
      return button;
    }));
  }

  return { element, update };
}
