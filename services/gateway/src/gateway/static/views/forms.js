// The command forms: create a corpus, import a IIIF manifest, upload images. Each refuses
// nothing itself beyond what the inputs declare: the gateway's problem says what is wrong.

import { api } from "../api.js";
import { h } from "../dom.js";
import { clearProblem, problemBox, showProblem } from "./problems.js";

function field(id, label, attributes) {
  return h("label", { for: id }, label, h("input", { id, name: id, ...attributes }));
}

// A form whose submit sends `send(form)`; `done(answer)` says what happened in its status line.
function commandForm(className, title, fields, button, send, done) {
  const problems = problemBox();
  const outcome = h("p", { class: "form-outcome", role: "status" });
  const form = h("form", { class: `command-form ${className}`, "aria-label": title },
    h("h3", {}, title), h("div", { class: "fields" }, fields,
      h("button", { type: "submit" }, button)), problems, outcome);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblem(problems);
    outcome.replaceChildren();
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const answer = await send(form);
      form.reset();
      outcome.replaceChildren(...[done(answer)].flat());
    } catch (error) {
      showProblem(problems, error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export function newCorpusForm() {
  return commandForm("new-corpus", "New corpus", [
    field("corpus-title", "title", { required: true, maxlength: "500" }),
    field("corpus-slug", "slug (a-z, 0-9, -)", {
      required: true, maxlength: "63", autocomplete: "off", spellcheck: "false",
    }),
    field("corpus-profile", "profile", { value: "default", required: true }),
  ], "Create corpus", (form) => api.createCorpus({
    title: form.elements["corpus-title"].value,
    slug: form.elements["corpus-slug"].value,
    profile: form.elements["corpus-profile"].value,
  }), (answer) => [`Corpus created (${answer.id}): `,
    h("a", { href: `#/corpus/${answer.id}` }, "open it")]);
}

function accepted(answer) {
  return [`Job ${answer.job_id} accepted: its progress is below; `,
    h("a", { href: `#/manuscript/${answer.manuscript_id}` }, "its manuscript")];
}

export function importForm(corpusId) {
  return commandForm("import-manifest", "Import a IIIF manifest", [
    field("manifest-url", "manifest URL", { type: "url", required: true, placeholder: "https://…/manifest.json" }),
  ], "Import", (form) => api.importManifest(corpusId, form.elements["manifest-url"].value), accepted);
}

export function uploadForm(corpusId) {
  return commandForm("upload-images", "Upload images", [
    field("upload-files", "images", { type: "file", multiple: true, required: true, accept: "image/*" }),
    field("upload-label", "label (optional)", { maxlength: "500" }),
  ], "Upload", (form) => api.upload(corpusId, [...form.elements["upload-files"].files],
    form.elements["upload-label"].value), accepted);
}
