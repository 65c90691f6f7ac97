// The clinician test page: wires the form, the examples and the JSON view to
// POST /v1/differential, and shows the answer. No inline script: CSP script-src 'self'.
import {clear, el, readDataBlock} from "./dom.js";
import {summary} from "./display.js";
import {CaseForm} from "./form.js";
import {JsonView, copyText} from "./jsonview.js";
import {clinicalMessage, renderAnswer, renderProblem} from "./results.js";
import {buildVocabulary, fillDatalists} from "./vocabulary.js";

const TIMEOUT_MS = 30000;
const NO_VOCABULARY = {findings: [], conditions: [], medications: {ingredients: [], classes: []}, labs: []};
const endpoints = readDataBlock("spasmdx-endpoints");
const $ = (id) => document.getElementById(id);

async function getJson(url) {
  const response = await fetch(url, {headers: {Accept: "application/json"}});
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

// Reference ids (as alerts and pitfalls carry them) to citations, fetched once, when first needed.
let citations = null;
function references() {
  citations ??= getJson(endpoints.knowledge_base).then((listing) => {
    const found = new Map();
    for (const entry of [...listing.causes, ...listing.alerts, ...listing.pitfalls]) {
      for (const ref of entry.references) found.set(ref.id, ref);
    }
    return found;
  }).catch(() => new Map()); // without them references show as ids: the answer matters more
  return citations;
}

// The name of the item a path points into ("labs[1].value" -> "CK"), from the body as sent.
function nameIn(body, path) {
  const match = /^(\w+)\[(\d+)\]/.exec(path);
  const item = match && Array.isArray(body[match[1]]) ? body[match[1]][Number(match[2])] : null;
  if (typeof item === "string") return item;
  return item && typeof item.display === "string" ? item.display : null;
}

function say(text) {
  $("page-status").textContent = text;
}

class Page {
  constructor(vocabulary) {
    this.form = new CaseForm($("case-form"), vocabulary);
    this.json = new JsonView($("json-text"), $("curl-text"), new URL(endpoints.differential, document.baseURI).href);
    this.answer = $("answer");
    this.examples = [];
    this.shown = null; // the answer on screen, while it still matches the form
  }

  wire() {
    for (const button of document.querySelectorAll("[data-add]")) {
      button.addEventListener("click", () => this.form.addRow(button.dataset.add).querySelector("input").focus());
    }
    $("case-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const {body, origins} = this.form.read();
      this.json.set(body);
      this.send(body, origins);
    });
    $("load-example").addEventListener("click", () => this.loadExample());
    // An edit makes the answer on screen one for another patient: it is marked so at once.
    for (const type of ["input", "change"]) {
      $("case-form").addEventListener(type, (event) => {
        if (event.target.id !== "api-key") this.markStale();
      });
    }
    $("case-form").addEventListener("click", (event) => {
      if (event.target.closest("[data-remove]")) this.markStale(); // a removed row changes the input too
    });
    $("copy-summary").addEventListener("click", async () => {
      const copied = this.shown && await copyText(summary(this.shown, this.form.vocabulary.names));
      $("answer-status").textContent = copied ? "Summary copied: paste it into the note."
        : "Copy failed: print the answer, or select its text and copy it.";
    });
    $("print-answer").addEventListener("click", () => window.print());
    window.addEventListener("beforeprint", () => this.stampDate());
    $("api-key").addEventListener("input", () => {
      this.json.withToken = $("api-key").value.trim() !== "";
      this.json.update();
    });
    $("clear-form").addEventListener("click", () => {
      this.form.reset();
      this.json.set({});
      this.forget();
      clear(this.answer).append(el("p", {class: "muted"}, "The form is empty."));
      say("Form cleared.");
    });
    $("json-from-form").addEventListener("click", () => {
      this.json.set(this.form.read().body);
      this.jsonStatus("The JSON now matches the form.");
    });
    $("json-to-form").addEventListener("click", () => this.attempt(() => {
      this.form.fill(this.json.parse());
      this.markStale();
      this.jsonStatus("The form now shows this JSON.");
    }));
    $("json-send").addEventListener("click", () => this.attempt(() => this.send(this.json.parse(), null)));
    const copy = async (text, what) => {
      this.jsonStatus(await copyText(text) ? `${what} copied.` : "Copy failed: select the text and copy it.");
    };
    $("json-copy").addEventListener("click", () => copy($("json-text").value, "JSON"));
    $("curl-copy").addEventListener("click", () => copy($("curl-text").textContent, "curl command"));
  }

  attempt(action) {
    try {
      action();
    } catch (error) {
      this.jsonStatus(error.message, true);
    }
  }

  jsonStatus(text, isError = false) {
    const status = $("json-status");
    status.textContent = text;
    status.classList.toggle("error-text", isError);
  }

  async loadExamples() {
    try {
      this.examples = await getJson(endpoints.examples);
    } catch {
      $("load-example").disabled = true;
      return;
    }
    $("example-select").append(...this.examples.map((example, index) => el("option", {value: index}, example.title)));
  }

  /** Mark the answer on screen as one for the previous input: greyed, its alerts hidden, no copy. */
  markStale() {
    if (!this.shown) return;
    this.shown = null;
    $("results").classList.add("stale");
    $("answer-actions").hidden = true;
    for (const alerts of this.answer.querySelectorAll(".alerts")) alerts.hidden = true;
    this.answer.prepend(el("p", {class: "stale-note"},
      "This answer is for the previous input, and its alerts are hidden. Rank the causes again to update it."));
    say("The form changed: the answer shown is for the previous input.");
  }

  /** No answer on screen any more: nothing to copy, print or mark. */
  forget() {
    this.shown = null;
    $("results").classList.remove("stale");
    $("answer-actions").hidden = true;
    $("answer-status").textContent = "";
  }

  /** The printed answer's first line: the date, and which knowledge base and request it is. */
  stampDate() {
    const answer = this.shown;
    const which = answer ? ` Knowledge base ${answer.knowledge_base.version}; request id ${answer.request_id}.` : "";
    $("printed-on").textContent = `Printed ${new Date().toLocaleString()}.${which}`;
  }

  /** Bring the answer's top (alerts first) to the top of the screen, and the keyboard to its heading. */
  land() {
    $("results").scrollIntoView({block: "start"});
    $("answer-heading").focus({preventScroll: true});
  }

  loadExample() {
    const example = this.examples[Number($("example-select").value)];
    if (!example) {
      say("Choose an example first.");
      $("example-select").focus();
      return;
    }
    this.form.fill(example.context);
    const {body, origins} = this.form.read(); // as the form sends it: names it knows go with their codes
    this.json.set(body);
    this.forget(); // another patient: the previous answer goes before this one is asked for
    clear(this.answer).append(el("p", {class: "muted"}, `Ranking the example “${example.title}”…`));
    say(`Loaded “${example.title}”: ${example.description}`);
    return this.send(body, origins);
  }

  busy(on) {
    for (const id of ["submit", "json-send", "load-example"]) $(id).disabled = on;
    $("submit").textContent = on ? "Ranking…" : "Rank the causes";
    $("results").setAttribute("aria-busy", String(on));
    if (on) say("Ranking the causes…");
  }

  /** Post a context; show the answer, or the problem against the fields it names. */
  async send(body, origins) {
    this.busy(true);
    this.form.clearMessages();
    // Messages go next to form fields only when the request came from the form.
    const mark = (path, text, kind) => (origins ? this.form.mark(path, text, kind, origins) : null);
    const names = (path) => (body && typeof body === "object" ? nameIn(body, path) : null);
    try {
      const headers = {"Content-Type": "application/json", Accept: "application/json, application/problem+json"};
      const token = $("api-key").value.trim();
      if (token) headers.Authorization = `Bearer ${token}`;
      const response = await fetch(endpoints.differential, {
        method: "POST", body: JSON.stringify(body), headers, signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const payload = await response.json().catch(() => null);
      if (response.ok && payload) {
        const controls = new Map();
        for (const item of payload.unrecognized) controls.set(item.path, mark(item.path, `${item.reason}.`, "note"));
        const note = body && typeof body === "object" ? body.narrative : null; // shown back with what was read
        renderAnswer(this.answer, payload, await references(), controls, names,
          {note, concepts: this.form.vocabulary.names});
        this.forget();
        this.shown = payload;
        $("answer-actions").hidden = false;
        this.stampDate();
        const critical = payload.alerts.filter((alert) => alert.severity === "critical").length;
        const read = (payload.understood || []).length;
        say(`Ranked ${payload.differential.length} causes; ${critical} critical alert${critical === 1 ? "" : "s"}`
          + (note ? `; ${read} mention${read === 1 ? "" : "s"} read in the clinical note.` : "."));
        this.land();
      } else {
        const problem = payload && payload.title ? payload
          : {title: "Unexpected answer", status: response.status, detail: "The service did not answer with JSON."};
        const controls = new Map();
        for (const error of problem.errors || []) {
          controls.set(error.path, mark(error.path, clinicalMessage(error.message), "error"));
        }
        this.forget();
        renderProblem(this.answer, problem, controls, names).focus();
        say(`Not ranked: ${problem.title}.`);
        if (response.status === 401) $("access").open = true; // where the credential goes
      }
    } catch (error) {
      const detail = error.name === "TimeoutError" ? `No answer within ${TIMEOUT_MS / 1000} seconds.`
        : `The service could not be reached (${error.message}).`;
      this.forget();
      renderProblem(this.answer, {title: "No answer", detail}, new Map()).focus();
      say("Not ranked: no answer.");
    } finally {
      this.busy(false);
    }
  }
}

async function start() {
  let vocabulary;
  try {
    vocabulary = buildVocabulary(await getJson(endpoints.vocabulary));
    fillDatalists(vocabulary);
  } catch (error) {
    vocabulary = buildVocabulary(NO_VOCABULARY);
    say(`Suggestions are unavailable (${error.message}); free text still works.`);
  }
  const page = new Page(vocabulary);
  page.wire();
  await page.loadExamples();
  document.body.dataset.ready = "true"; // for the browser tests: the form is wired
}

start();
