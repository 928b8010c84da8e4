// "open in Mirador": the gateway's viewer page for a manuscript's exported manifest.

import { h } from "../dom.js";

export function viewerLink(slot, links) {
  const manifest = links["iiif-manifest"];
  slot.replaceChildren(manifest
    ? h("a", { class: "viewer-link", href: `/viewer?manifest=${encodeURIComponent(manifest)}` },
      "open in Mirador")
    : h("span", { class: "muted" }, "Mirador opens once the manuscript is exported"));
}
