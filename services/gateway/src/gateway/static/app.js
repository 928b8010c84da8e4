// The dashboard: a hash router over the views, fed by one live feed for the whole page.

import { api, apiKey, setApiKey, Unauthenticated } from "./api.js";
import { h } from "./dom.js";
import { follow } from "./feed.js";
import * as corpus from "./views/corpus.js";
import * as home from "./views/home.js";
import * as keys from "./views/keys.js";
import * as manuscript from "./views/manuscript.js";
import * as page from "./views/page.js";
import * as search from "./views/search.js";

// Each view is mounted with the id in its path and the parameters after a `?`.
const ROUTES = [
  [/^#\/corpus\/([\w-]+)$/, corpus],
  [/^#\/manuscript\/([\w-]+)$/, manuscript],
  [/^#\/page\/([\w-]+)$/, page],
  [/^#\/(keys)$/, keys],
  [/^#\/(search)$/, search],
];

const root = document.getElementById("view");
const feedState = document.getElementById("feed-state");
const keyForm = document.getElementById("key-form");
const forgetKey = document.getElementById("key-forget");
document.getElementById("search-slot").replaceChildren(search.searchForm());
let current = null;
let feeds = [];
// What this gateway can do beyond the API every view uses, as it says with the feed's head.
let features = {};

function showError(error) {
  if (error instanceof Unauthenticated) {
    keyForm.hidden = false;
    root.replaceChildren(h("p", { class: "notice" }, "This gateway needs an API key with the read scope."));
  } else {
    root.replaceChildren(h("p", { class: "notice error" }, String(error.message || error)));
  }
}

function route() {
  if (current) current.dispose();
  const [path, query = ""] = location.hash.split(/\?(.*)/s);
  const [, match, view] = ROUTES.map(([pattern, module]) => [pattern, path.match(pattern), module])
    .find(([, found]) => found) || [null, null, home];
  current = view.mount(root, match ? match[1] : null, new URLSearchParams(query), features);
  current.loaded.catch(showError);
}

function dispatch(message) {
  if (current) current.onEvent(message);
}

function setFeedState(state) {
  feedState.textContent = state;
  feedState.className = `feed-state feed-${state}`;
}

async function followFeed(head) {
  feeds.forEach((feed) => feed.close());
  const onTick = () => current && current.onTick();
  const everything = follow({ after: head, onEvent: dispatch, onTick, onState: async (state) => {
    setFeedState(state);
    if (state !== "forbidden") return;
    // A key limited to some corpora may only follow those corpora, one feed each.
    const corpora = await api.corpora();
    feeds = corpora.items.map((c) => follow({
      after: head, corpus: c.id, onEvent: dispatch, onTick, onState: setFeedState,
    }));
  } });
  feeds = [everything];
}

async function start() {
  forgetKey.hidden = !apiKey();
  try {
    const { position, consumer_lag: consumerLag } = await api.feedHead();
    features = { consumerLag };
    keyForm.hidden = true;
    await followFeed(position);
    route();
  } catch (error) {
    showError(error);
  }
}

keyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  setApiKey(document.getElementById("key-input").value.trim());
  start();
});
forgetKey.addEventListener("click", () => {
  setApiKey("");
  feeds.forEach((feed) => feed.close());
  setFeedState("offline");
  start();
});
window.addEventListener("hashchange", route);
start();
