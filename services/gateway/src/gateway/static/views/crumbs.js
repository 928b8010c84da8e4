// The breadcrumbs in the top bar: [label, href] pairs, the last one without a link.

import { h } from "../dom.js";

export function crumbs(...trail) {
  const nav = document.getElementById("crumbs");
  nav.replaceChildren(...trail.flatMap(([label, href], index) => [
    index ? h("span", { class: "muted" }, " / ") : null,
    href && index < trail.length - 1 ? h("a", { href }, label) : h("span", {}, label),
  ].filter(Boolean)));
}
