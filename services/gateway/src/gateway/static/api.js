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

async function request(path) {
  const headers = { Accept: "application/json" };
  if (apiKey()) headers["X-API-Key"] = apiKey();
  const response = await fetch(path, { headers });
  if (response.status === 401) throw new Unauthenticated("an API key is needed");
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
    } catch { /* not a problem document */ }
    const error = new Error(`${response.status}: ${detail}`);
    error.status = response.status;
    throw error;
  }
  return response;
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
};
