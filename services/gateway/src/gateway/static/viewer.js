// Mirador (vendored from npm, see vendor/mirador/README.md) showing one manifest:
// `/viewer?manifest=<url>`, its transcription open beside the image.

import { apiKey } from "./api.js";

const given = new URLSearchParams(location.search).get("manifest");

function sameOrigin(url) {
  return new URL(url, location.href).origin === location.origin;
}

// The API key goes to the gateway only, never to the image servers the manifest names.
function withKey(url, options) {
  const key = apiKey();
  if (!key || !sameOrigin(url)) return options;
  return { ...options, headers: { ...(options.headers || {}), "X-API-Key": key } };
}

if (given) {
  window.mirador = window.Mirador.viewer({
    id: "viewer",
    windows: [{ manifestId: new URL(given, location.href).href }],
    window: {
      allowClose: false,
      sideBarOpen: true,
      sideBarPanel: "annotations",
      highlightAllAnnotations: true,
    },
    // Transcriptions exported before they were also `commenting` are `supplementing` only.
    annotations: {
      filteredMotivations: ["oa:commenting", "commenting", "supplementing", "oa:tagging", "tagging"],
    },
    requests: { preprocessors: [withKey] },
    workspaceControlPanel: { enabled: false },
  });
} else {
  document.getElementById("viewer").textContent = "No manifest: open /viewer?manifest=<url>.";
}
