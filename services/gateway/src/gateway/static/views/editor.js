// The page's lines as a list: choose one (here or on the image), edit its text, save it as a
// correction made against the version read when editing began. A stale save (409) keeps the
// draft and offers to reload the page's text before saving again.

import { api } from "../api.js";
import { h, keyed } from "../dom.js";
import { inReadingOrder } from "./overlay.js";
import { clearProblem, problemBox, showProblem } from "./problems.js";

// `mark(lineId, className, on)` shows on the image which line is pointed at, edited or found.
export function lineEditor({ pageId, mark, reload }) {
  const list = h("ol", { class: "transcription", "aria-label": "lines of the current transcription" });
  const saved = h("p", { class: "editor-outcome muted", role: "status" });
  const element = h("div", { class: "editor" }, list, saved);
  let transcription = null;
  let editing = null;

  function linesOf(analysis) {
    return analysis ? inReadingOrder(analysis).flatMap((region) => region.lines) : [];
  }

  function item(line) {
    const button = h("button", {
      type: "button", class: "transcription-line", title: `edit line ${line.id}`,
      onclick: () => open(line.id),
      onfocus: () => mark(line.id, "active", true), onblur: () => mark(line.id, "active", false),
      onmouseenter: () => mark(line.id, "active", true), onmouseleave: () => mark(line.id, "active", false),
    });
    return h("li", { "data-line": line.id }, button);
  }

  function show(li, line) {
    li.line = line;
    const button = li.querySelector(".transcription-line");
    button.textContent = line.text || "(empty line)";
    button.classList.toggle("empty", !line.text);
    if (editing && editing.lineId === line.id) editing.sync(line);
  }

  function update(next) {
    transcription = next;
    const lines = linesOf(next.analysis);
    if (!next.analysis) {
      list.replaceChildren(h("li", { class: "muted" }, "Not analysed yet."));
      return;
    }
    if (list.querySelector("li.muted")) list.replaceChildren();
    keyed(list, lines, (line) => line.id, item, show);
    if (editing && !lines.some((line) => line.id === editing.lineId)) {
      close();
      saved.textContent = "The line you were editing was removed by another edit.";
    }
  }

  function form(li, line, draft) {
    const version = transcription.version;
    const id = `line-text-${line.id}`;
    const input = h("input", { id, type: "text", class: "line-text", value: draft ?? line.text, spellcheck: "false" });
    const reason = h("input", { id: `${id}-reason`, type: "text", class: "line-reason", maxlength: "2000" });
    const now = h("p", { class: "line-now muted", hidden: true });
    const problems = problemBox("line-problems");
    const conflict = h("div", { class: "conflict", role: "alert", hidden: true });
    const panel = h("form", { class: "line-editor", "aria-label": `edit line ${line.id}` },
      h("label", { for: id }, `Text of line ${line.id}`), input,
      h("label", { for: `${id}-reason` }, "Reason (optional, kept in the history)"), reason,
      h("div", { class: "line-buttons" },
        h("button", { type: "submit" }, "Save"),
        h("button", { type: "button", class: "cancel", onclick: () => close(true) }, "Cancel")),
      now, conflict, problems);
    const state = { lineId: line.id, version, panel, input, original: line.text };

    // Another edit changed this line meanwhile: say what it reads now.
    state.sync = (current) => {
      if (current.text === state.original) return;
      now.hidden = false;
      now.textContent = `Changed meanwhile; it now reads: “${current.text}”`;
    };

    function stale(error) {
      const current = error.problem.current_version;
      conflict.replaceChildren(
        h("p", {}, `Someone else changed this page after you began (you read version ${state.version};`
          + ` it is now at version ${current}). Your text is kept here.`),
        h("button", { type: "button", class: "reload", onclick: async () => {
          await reload();
          state.version = transcription.version;
          state.original = li.line.text;
          now.hidden = false;
          now.textContent = `Reloaded at version ${state.version}; the line now reads: “${li.line.text}”. `
            + "Save to replace it with your text.";
          conflict.hidden = true;
          input.focus();
        } }, "Reload the page’s text"));
      conflict.hidden = false;
    }

    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close(true);
    });
    panel.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearProblem(problems);
      const submit = panel.querySelector("button[type=submit]");
      submit.disabled = true;
      try {
        const recorded = await api.correct(pageId, {
          expected_version: state.version,
          reason: reason.value,
          operations: [{ op: "edit_line_text", line_id: line.id, text: input.value }],
        });
        close(true);
        saved.textContent = `Saved line ${line.id} as version ${recorded.version}.`;
        await reload();
      } catch (error) {
        if (error.status === 409 && Number.isInteger(error.problem?.current_version)) stale(error);
        else showProblem(problems, error);
      } finally {
        submit.disabled = false;
      }
    });
    return state;
  }

  function open(lineId, draft) {
    const li = list.querySelector(`li[data-line="${CSS.escape(lineId)}"]`);
    if (!li || !transcription) return;
    if (editing) close();
    saved.textContent = "";
    editing = form(li, li.line, draft);
    li.querySelector(".transcription-line").hidden = true;
    li.classList.add("editing");
    li.append(editing.panel);
    mark(lineId, "editing", true);
    editing.input.focus();
  }

  function close(returnFocus = false) {
    if (!editing) return;
    const li = editing.panel.parentElement;
    editing.panel.remove();
    mark(editing.lineId, "editing", false);
    editing = null;
    if (!li) return;
    li.classList.remove("editing");
    const button = li.querySelector(".transcription-line");
    button.hidden = false;
    if (returnFocus) button.focus();
  }

  // A line found by a search: brought into view and marked until another is chosen.
  function reveal(lineId) {
    const li = list.querySelector(`li[data-line="${CSS.escape(lineId)}"]`);
    if (!li) return false;
    list.querySelectorAll("li.found").forEach((found) => {
      found.classList.remove("found");
      mark(found.dataset.line, "found", false);
    });
    li.classList.add("found");
    mark(lineId, "found", true);
    li.scrollIntoView({ block: "center" });
    li.querySelector(".transcription-line").focus({ preventScroll: true });
    return true;
  }

  return { element, update, open, reveal };
}
