// A search hit's snippet as DOM nodes. The snippet is untrusted text whose only markup is
// `<mark>…</mark>` around each match: nothing else of it ever becomes an element, and no
// server text is given to innerHTML. The gateway escapes the line's own `<`, `&`, quotes;
// those character references are read back into plain text.

import { h } from "../dom.js";

const NAMED = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'" };

function unescape(text) {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/gi, (whole, name) => {
    if (name[0] !== "#") return NAMED[name.toLowerCase()] ?? whole;
    const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
  });
}

export function snippetNodes(snippet) {
  const nodes = [];
  let marked = false;
  for (const part of String(snippet ?? "").split(/(<mark>|<\/mark>)/)) {
    if (part === "<mark>" || part === "</mark>") {
      marked = part === "<mark>";
    } else if (part) {
      const text = unescape(part);
      nodes.push(marked ? h("mark", {}, text) : document.createTextNode(text));
    }
  }
  return nodes;
}
