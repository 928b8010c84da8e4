// Small DOM helpers: element building, keyed list updates, debounced refreshes.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name in element && typeof value !== "string") element[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

export const SVG_NS = "http://www.w3.org/2000/svg";

export function svg(tag, attributes = {}) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

// Keep one child per item, in order: existing children are updated, not rebuilt, so
// thumbnails do not flicker and progress bars keep their identity as values change.
export function keyed(container, items, keyOf, create, update) {
  const existing = new Map([...container.children].map((child) => [child.dataset.key, child]));
  const wanted = items.map((item) => {
    const key = String(keyOf(item));
    let child = existing.get(key);
    existing.delete(key);
    if (!child) {
      child = create(item);
      child.dataset.key = key;
    }
    update(child, item);
    return child;
  });
  for (const stale of existing.values()) stale.remove();
  wanted.forEach((child, index) => {
    if (container.children[index] !== child) container.insertBefore(child, container.children[index] || null);
  });
}

// Run `load` soon after a burst of events, and once more a little later: the read models
// are projected from the same events, so they may trail the feed by a moment.
export function refresher(load, { soon = 150, settle = 1500 } = {}) {
  let first = null;
  let second = null;
  let running = Promise.resolve();
  const run = () => {
    running = running.then(load).catch((error) => console.warn(error));
    return running;
  };
  return {
    // Load at once (after any load under way), e.g. after the page's own command.
    now() {
      clearTimeout(first);
      return run();
    },
    schedule() {
      clearTimeout(first);
      clearTimeout(second);
      first = setTimeout(run, soon);
      second = setTimeout(run, settle);
    },
    cancel() {
      clearTimeout(first);
      clearTimeout(second);
    },
  };
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "–";
}

export function shortId(id) {
  return String(id).slice(0, 8);
}
