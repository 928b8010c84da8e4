// Download links for the exports and images named in an API resource's `links`.

import { withKey } from "../api.js";
import { h } from "../dom.js";

// API resources rather than files: the page itself shows them.
const SKIP = new Set(["pages", "history", "transcription", "versions"]);

export function updateDownloads(list, links) {
  const entries = Object.entries(links).filter(([name]) => !SKIP.has(name));
  list.replaceChildren(...entries.map(([name, href]) =>
    h("li", {}, h("a", { class: "download", href: withKey(href), download: "" }, name))));
  if (!entries.length) list.replaceChildren(h("li", { class: "muted" }, "nothing to download yet"));
}
