// Machine results recorded after a human took over the page: each one's differences from the
// current text, adopted whole or line by line.

import { api } from "../api.js";
import { h, when } from "../dom.js";
import { clearProblem, problemBox, showProblem } from "./problems.js";
import { percent } from "./versions.js";

export function candidatesPanel({ pageId, reload }) {
  const list = h("div", { class: "candidate-list" });
  const element = h("div", { class: "candidates" }, list);
  let shown = "";
  let version = null;

  function card(candidate) {
    const problems = problemBox("candidate-problems");
    const choices = candidate.diff.lines.map((line) => {
      // A line the candidate lacks cannot be taken from it: only adopting it whole drops it.
      const box = line.after_id === null ? null
        : h("input", { type: "checkbox", value: line.after_id, id: `adopt-${candidate.id}-${line.after_id}` });
      return h("li", { class: `change-${line.change}` },
        box, h("label", { for: box ? box.id : null },
          h("span", { class: "change" }, `${line.change} ${line.after_id ?? line.before_id}: `),
          line.before_text === null ? null : h("del", {}, line.before_text),
          line.before_text !== null && line.after_text !== null ? " → " : null,
          line.after_text === null ? null : h("ins", {}, line.after_text)));
    });
    async function adopt(button, lines) {
      clearProblem(problems);
      button.disabled = true;
      try {
        await api.adopt(pageId, candidate.id, { expected_version: version, lines });
        await reload();
      } catch (error) {
        showProblem(problems, error);
      } finally {
        button.disabled = false;
      }
    }
    const some = h("button", { type: "button", class: "adopt-lines" }, "Adopt the chosen lines");
    some.addEventListener("click", () => {
      const lines = [...element.querySelectorAll(`#candidate-${candidate.id} input:checked`)]
        .map((box) => box.value);
      if (lines.length) adopt(some, lines);
      else showProblem(problems, new Error("Choose the lines to adopt first."));
    });
    const whole = h("button", { type: "button", class: "adopt-whole" }, "Adopt it whole");
    whole.addEventListener("click", () => adopt(whole, null));
    return h("article", { class: "candidate", id: `candidate-${candidate.id}`, "data-candidate": candidate.id },
      h("h4", {}, `${candidate.engine}, version ${candidate.id}, ${when(candidate.recorded_at)}`),
      h("p", { class: "muted" }, `against the current text: CER ${percent(candidate.diff.cer)} · `
        + `WER ${percent(candidate.diff.wer)} · ${candidate.diff.unchanged} lines the same`),
      choices.length ? h("ul", { class: "candidate-lines", "aria-label": "lines that differ" }, choices)
        : h("p", { class: "candidate-same" }, "It reads as the current text."),
      h("div", { class: "candidate-buttons" }, choices.length ? some : null, whole), problems);
  }

  function update(offered) {
    // Rebuilt only when the candidates or their differences change, so choices survive a
    // refresh; an export or a status change moves the version without changing what is shown.
    version = offered.version;
    const key = JSON.stringify(offered.items);
    if (key === shown) return;
    shown = key;
    list.replaceChildren(...offered.items.map(card));
    if (!offered.items.length) list.replaceChildren(h("p", { class: "muted" }, "No machine result waits for review."));
  }

  return { element, update };
}
