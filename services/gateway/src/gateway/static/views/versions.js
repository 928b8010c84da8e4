// The page's versions (who, when, what, CER against the text before) and a line-level diff
// between any two of them, with the page's CER and WER.

import { api } from "../api.js";
import { h, keyed, when } from "../dom.js";
import { clearProblem, problemBox, showProblem } from "./problems.js";

export function percent(rate) {
  return rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(1)} %`;
}

export function diffTable(diff) {
  const rows = diff.lines.map((line) => h("tr", { class: `change-${line.change}` },
    h("td", {}, line.change),
    h("td", {}, line.before_id ?? line.after_id),
    h("td", {}, line.before_text === null ? "" : h("del", {}, line.before_text)),
    h("td", {}, line.after_text === null ? "" : h("ins", {}, line.after_text)),
    h("td", {}, percent(line.cer))));
  return [
    h("p", { class: "diff-summary" }, `CER ${percent(diff.cer)} · WER ${percent(diff.wer)} · `
      + `${diff.lines.length} line${diff.lines.length === 1 ? "" : "s"} changed, ${diff.unchanged} unchanged`),
    diff.lines.length ? h("table", { class: "diff-lines" },
      h("thead", {}, h("tr", {}, ["change", "line", "before", "after", "CER"].map((name) => h("th", {}, name)))),
      h("tbody", {}, rows)) : null,
  ];
}

export function versionsPanel({ pageId }) {
  const rows = h("tbody");
  const from = h("select", { id: "diff-from" });
  const to = h("select", { id: "diff-to" });
  const result = h("div", { class: "diff", "aria-live": "polite" });
  const problems = problemBox("diff-problems");
  const form = h("form", { class: "diff-form", "aria-label": "compare two versions" },
    h("label", { for: "diff-from" }, "from version"), from,
    h("label", { for: "diff-to" }, "to version"), to,
    h("button", { type: "submit" }, "Compare"));
  const element = h("div", { class: "versions" },
    h("table", { class: "version-list" },
      h("thead", {}, h("tr", {}, ["version", "when", "who", "what", "became", "status", "CER", ""]
        .map((name) => h("th", {}, name)))),
      rows),
    form, problems, result);
  let listed = [];

  async function compare(fromVersion, toVersion) {
    clearProblem(problems);
    from.value = String(fromVersion);
    to.value = String(toVersion);
    try {
      result.replaceChildren(h("h4", {}, `From version ${fromVersion} to ${toVersion}`),
        ...diffTable(await api.diff(pageId, fromVersion, toVersion)));
    } catch (error) {
      showProblem(problems, error);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    compare(Number(from.value), Number(to.value));
  });

  // The text version before `version`: what its CER was measured against.
  function previousText(version) {
    const earlier = listed.filter((v) => v.became === "current" && v.version < version);
    return earlier.length ? earlier[earlier.length - 1].version : null;
  }

  function row() {
    const tr = h("tr", {}, Array.from({ length: 8 }, () => h("td")));
    tr.lastChild.append(h("button", { type: "button", class: "show-changes",
      onclick: () => compare(previousText(tr.version.version), tr.version.version) }, "changes"));
    return tr;
  }

  function show(tr, version) {
    tr.version = version;
    tr.dataset.version = version.version;
    tr.className = `became-${version.became}`;
    const cells = tr.querySelectorAll("td");
    [version.version, when(version.recorded_at), version.actor || "–",
      `${version.type}: ${version.summary}`, version.became, version.status, percent(version.cer),
    ].forEach((text, index) => { cells[index].textContent = text; });
    cells[7].querySelector("button").hidden = previousText(version.version) === null
      || version.became !== "current";
  }

  function update(versions) {
    listed = versions.items;
    keyed(rows, [...listed].reverse(), (v) => v.version, row, show);
    const options = (select) => keyed(select, listed, (v) => v.version,
      (v) => h("option", { value: String(v.version) }),
      (option, v) => { option.textContent = `${v.version} · ${v.type}`; });
    const chosen = [from.value, to.value];
    options(from);
    options(to);
    const texts = listed.filter((v) => v.became === "current").map((v) => v.version);
    // New versions move the default comparison to the two latest texts, unless one was chosen.
    if (!chosen[0] || !form.dataset.touched) from.value = String(texts.at(-2) ?? texts.at(-1) ?? "");
    if (!chosen[1] || !form.dataset.touched) to.value = String(texts.at(-1) ?? "");
  }
  from.addEventListener("change", () => { form.dataset.touched = "yes"; });
  to.addEventListener("change", () => { form.dataset.touched = "yes"; });

  return { element, update };
}
