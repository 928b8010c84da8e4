// The gateway's HTTP API, with the API key (if any) kept in localStorage.

const KEY = "recto.apiKey";

export class Unauthenticated extends Error {}

// A refused request: `detail` is the RFC 9457 problem's sentence, `problem` the whole document
// (e.g. `current_version` on a stale edit), `problems` the fields a schema error names.
export class Refused extends Error {
  constructor(status, detail, problem, problems) {
    super(`${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
    this.problem = problem;
    this.problems = problems;
  }
}

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

async function refusal(response) {
  let problem = {};
  try {
    problem = await response.json();
  } catch { /* not a problem document */ }
  const detail = problem.detail || problem.title || response.statusText;
  // Schema errors name the field; the gateway's own checks are plain sentences.
  const problems = (problem.errors || []).map((e) => (typeof e === "string" ? e
    : `${(e.loc || []).filter((part) => part !== "body").join(".")}: ${e.msg}`));
  return new Refused(response.status, detail, problem, problems);
}

async function request(path, { method = "GET", body, form } = {}) {
  const headers = { Accept: "application/json" };
  if (apiKey()) headers["X-API-Key"] = apiKey();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  if (response.status === 401) throw new Unauthenticated("an API key is needed");
  if (!response.ok) throw await refusal(response);
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

function query(values) {
  const found = Object.entries(values).filter(([, value]) => value !== null && value !== undefined && value !== "");
  return found.length ? `?${new URLSearchParams(found)}` : "";
}

const page = (id) => `/v1/pages/${encodeURIComponent(id)}`;

export const api = {
  feedHead: () => getJson("/dashboard/feed-head"),
  corpora: () => getJson("/v1/corpora?limit=100"),
  corpus: (id) => getJson(`/v1/corpora/${id}?limit=200`),
  createCorpus: (body) => sendJson("POST", "/v1/corpora", body),
  importManifest: (corpusId, url) =>
    sendJson("POST", `/v1/corpora/${corpusId}/imports`, { source: { kind: "iiif", url } }),
  upload: async (corpusId, files, label) => {
    const form = new FormData();
    for (const file of files) form.append("files", file, file.name);
    if (label) form.append("label", label);
    return (await request(`/v1/corpora/${corpusId}/uploads`, { method: "POST", form })).json();
  },
  jobs: (limit = 20) => getJson(`/v1/jobs?limit=${limit}`),
  job: (id) => getJson(`/v1/jobs/${id}`),
  retryJob: (id) => sendJson("POST", `/v1/jobs/${id}/retry`),
  cancelJob: (id) => sendJson("POST", `/v1/jobs/${id}/cancel`, {}),
  manuscript: (id) => getJson(`/v1/manuscripts/${id}`),
  pages: (id) => getJson(`/v1/manuscripts/${id}/pages?limit=500`),
  page: (id) => getJson(page(id)),
  history: (id) => getJson(`${page(id)}/history`),
  transcription: (id) => getJson(`${page(id)}/transcription`),
  versions: (id) => getJson(`${page(id)}/versions`),
  diff: (id, from, to) => getJson(`${page(id)}/diff${query({ from, to })}`),
  candidates: (id) => getJson(`${page(id)}/candidates`),
  correct: (id, body) => sendJson("POST", `${page(id)}/corrections`, body),
  setStatus: (id, body) => sendJson("POST", `${page(id)}/status`, body),
  adopt: (id, candidateId, body) => sendJson("POST", `${page(id)}/candidates/${candidateId}/adopt`, body),
  search: (q, corpus) => getJson(`/v1/search${query({ q, corpus })}`),
  consumers: () => getJson("/v1/consumers"),
  keys: () => getJson("/v1/keys"),
  createKey: (body) => sendJson("POST", "/v1/keys", body),
  revokeKey: (id) => sendJson("DELETE", `/v1/keys/${id}`),
};
