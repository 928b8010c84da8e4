// Where a refused request is explained: the problem's `detail`, then any fields it names.

import { h } from "../dom.js";

export function problemBox(className = "") {
  return h("ul", { class: `problems ${className}`.trim(), role: "alert" });
}

export function showProblem(box, error) {
  box.replaceChildren(h("li", {}, error.message || String(error)),
    ...(error.problems || []).map((problem) => h("li", {}, problem)));
}

export function clearProblem(box) {
  box.replaceChildren();
}
