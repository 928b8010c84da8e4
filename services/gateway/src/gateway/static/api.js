// The gateway's HTTP API, with the API key (if any) kept in localStorage.

const KEY = "recto.apiKey";

export class Unauthenticated extends Error {}

export function apiKey() {
  return localStorage.getItem(KEY) || "";
}

export function setApiKey(key) {
  if (key) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
}

// Links for <img src> and downloads cannot carry a header: the key goes in the query.
export function withKey(path) {
  const key = apiKey();
  if (!key) return path;
  return `${path}${path.includes("?") ? "&" : "?"}api_key=${encodeURIComponent(key)}`;
}

async function request(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (apiKey()) headers["X-API-Key"] = apiKey();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) throw new Unauthenticated("an API key is needed");
  if (!response.ok) {
    let detail = response.statusText;
    let problems = [];
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
      // Schema errors name the field; the gateway's own checks are plain sentences.
      problems = (problem.errors || []).map((e) => (typeof e === "string" ? e
        : `${(e.loc || []).filter((part) => part !== "body").join(".")}: ${e.msg}`));
    } catch { /* not a problem document */ }
    const error = new Error(`${response.status}: ${detail}`);
    error.status = response.status;
    error.problems = problems;
    throw error;
  }
  return response;
}

async function sendJson(method, path, body) {
  return (await request(path, { method, body })).json();
}

export async function getJson(path) {
  return (await request(path)).json();
}

export async function getText(path) {
  return (await request(path)).text();
}

export const api = {
  feedHead: () => getJson("/dashboard/feed-head"),
  corpora: () => getJson("/v1/corpora?limit=100"),
  corpus: (id) => getJson(`/v1/corpora/${id}?limit=200`),
  jobs: (limit = 20) => getJson(`/v1/jobs?limit=${limit}`),
  job: (id) => getJson(`/v1/jobs/${id}`),
  manuscript: (id) => getJson(`/v1/manuscripts/${id}`),
  pages: (id) => getJson(`/v1/manuscripts/${id}/pages?limit=500`),
  page: (id) => getJson(`/v1/pages/${id}`),
  history: (id) => getJson(`/v1/pages/${id}/history`),
  keys: () => getJson("/v1/keys"),
  createKey: (body) => sendJson("POST", "/v1/keys", body),
  revokeKey: (id) => sendJson("DELETE", `/v1/keys/${id}`),
};
