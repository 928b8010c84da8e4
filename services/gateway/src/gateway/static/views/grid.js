// A manuscript's pages as thumbnails coloured by status.

import { withKey } from "../api.js";
import { h, keyed } from "../dom.js";

export function pageGrid() {
  return h("div", { class: "grid", role: "list" });
}

export function updatePageGrid(grid, pages) {
  keyed(grid, pages, (page) => page.id, createThumb, updateThumb);
}

function createThumb(page) {
  return h("a", { class: "thumb", role: "listitem", href: `#/page/${page.id}` },
    h("div", { class: "thumb-image" }),
    h("span", { class: "thumb-label" }),
    h("span", { class: "thumb-status" }));
}

function updateThumb(thumb, page) {
  thumb.className = `thumb status-${page.status}`;
  thumb.dataset.status = page.status;
  thumb.title = page.last_error ? `${page.status}: ${page.last_error.reason || ""}` : page.status;
  thumb.querySelector(".thumb-label").textContent = page.label || `#${page.index + 1}`;
  const confidence = page.confidence == null ? "" : ` · ${Math.round(page.confidence * 100)}%`;
  thumb.querySelector(".thumb-status").textContent = `${page.status}${confidence}`;
  const link = page.links["image-thumbnail"];
  const frame = thumb.querySelector(".thumb-image");
  if (link && !frame.querySelector("img")) {
    frame.append(h("img", { src: withKey(link), alt: page.label || "", loading: "lazy" }));
  }
}
