// API keys (admins only): create one, its secret shown this once and kept nowhere; see every
// key's grants and last use; revoke one.

import { api } from "../api.js";
import { h, keyed, refresher, when } from "../dom.js";
import { crumbs } from "./crumbs.js";

const SCOPES = ["read", "write", "admin"];

export function mount(root) {
  crumbs(["overview", "#/"], ["API keys"]);
  const name = h("input", { id: "key-name", required: true, maxlength: "100", autocomplete: "off" });
  const scope = h("select", { id: "key-scope" }, SCOPES.map((s) => h("option", { value: s }, s)));
  const corpora = h("select", { id: "key-corpora", multiple: true, size: "4" });
  const expires = h("input", { id: "key-expires", type: "datetime-local" });
  const problems = h("ul", { class: "key-problems", "aria-live": "polite" });
  const reveal = h("div");
  const form = h("form", { class: "key-create" },
    h("label", {}, "name (person or service)", name),
    h("label", {}, "scope", scope),
    h("label", {}, "corpora (none chosen: all)", corpora),
    h("label", {}, "expires (optional)", expires),
    h("button", { type: "submit" }, "Create key"));
  const rows = h("tbody");
  root.replaceChildren(
    h("section", {}, h("h2", {}, "New API key"), form, problems, reveal),
    h("section", {}, h("h2", {}, "API keys"),
      h("table", { class: "keys" },
        h("thead", {}, h("tr", {}, ["id", "name", "status", "scope", "corpora", "expires",
          "last used", "created by", ""].map((label) => h("th", {}, label)))),
        rows)),
  );

  function showSecretOnce(created) {
    const secret = h("code", { class: "secret" }, created.secret);
    const copy = h("button", { type: "button", class: "copy-secret" }, "Copy");
    const panel = h("div", { class: "secret-once", role: "status" },
      h("strong", {}, `Key ${created.id} for ${created.name}`),
      h("p", {}, "Copy the secret now: it is shown this once, and neither this page nor the "
        + "gateway can show it again."),
      secret, copy, " ",
      h("button", { type: "button", class: "forget-secret", onclick: () => panel.remove() }, "Done"));
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(created.secret);
        copy.textContent = "Copied";
      } catch {
        getSelection().selectAllChildren(secret);
        copy.textContent = "Selected: press Ctrl+C";
      }
    });
    reveal.replaceChildren(panel);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problems.replaceChildren();
    const chosen = [...corpora.selectedOptions].map((option) => option.value);
    try {
      const created = await api.createKey({
        name: name.value,
        scopes: [scope.value],
        corpora: chosen.length ? chosen : null,
        expires_at: expires.value ? new Date(expires.value).toISOString() : null,
      });
      form.reset();
      showSecretOnce(created);
      await load();
    } catch (error) {
      problems.replaceChildren(h("li", {}, error.message),
        ...(error.problems || []).map((problem) => h("li", {}, problem)));
    }
  });

  async function revoke(key) {
    if (!confirm(`Revoke key ${key.id} (${key.name})? No gateway will accept it any more.`)) return;
    try {
      await api.revokeKey(key.id);
    } catch (error) {
      problems.replaceChildren(h("li", {}, error.message));
    }
    await load();
  }

  function row() {
    const tr = h("tr", {}, Array.from({ length: 9 }, () => h("td")));
    tr.lastChild.append(
      h("button", { type: "button", class: "revoke", onclick: () => revoke(tr.key) }, "Revoke"));
    return tr;
  }

  function update(tr, key) {
    tr.key = key;
    tr.className = `status-${key.status}`;
    tr.dataset.name = key.name;
    const cells = tr.querySelectorAll("td");
    const scopeOf = SCOPES.filter((s) => key.scopes.includes(s)).pop();
    [key.id, key.name, key.status, scopeOf,
      key.corpora === null ? "all" : `${key.corpora.length} corpora`,
      key.expires_at ? when(key.expires_at) : "never", when(key.last_used_at), key.created_by || "–",
    ].forEach((text, index) => { cells[index].textContent = text; });
    cells[8].querySelector("button").hidden = key.status === "revoked";
  }

  async function load() {
    const [listing, corpusList] = await Promise.all([api.keys(), api.corpora()]);
    keyed(rows, listing.items, (key) => key.id, row, update);
    keyed(corpora, corpusList.items, (c) => c.id,
      (c) => h("option", { value: c.id }), (option, c) => { option.textContent = c.title; });
  }

  const refresh = refresher(load);
  return {
    loaded: load(),
    onEvent(message) {
      if (/^(api_key|corpus)\./.test(message.type)) refresh.schedule();
    },
    onTick() {},
    dispose() {
      refresh.cancel();
      reveal.replaceChildren();
    },
  };
}
