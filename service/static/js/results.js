// The answer as a clinician reads it: alerts first, then the ranked differential with
// its evidence, the pitfalls, and what was not understood. Text only via textContent.
import {clear, el, safeLink} from "./dom.js";
import {INDEPENDENCE_NOTE, alsoConsidered, clinicalText, percent, splitMinor} from "./display.js";
import {describePath} from "./paths.js";
import {noteBlock, showSpans} from "./note.js";

export {percent};

const SEVERITY = {critical: "Critical", warning: "Warning", info: "Note"};
// The schema's messages (marshmallow's words) as a clinician would say them.
const MESSAGES = [
  [/^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$/, "must be between $1 and $2"],
  [/^Must be greater than (\S+) and less than (\S+)\.$/, "must be more than $1 and less than $2"],
  [/^Must be greater than or equal to (\S+)\.$/, "must be at least $1"],
  [/^Must be less than or equal to (\S+)\.$/, "must be at most $1"],
  [/^Missing data for required field\.$/, "needs a value"],
  [/^Field may not be null\.$/, "needs a value"],
  [/^Not a valid (number|integer)\.$/, "must be a number"],
  [/^Not a valid boolean\.$/, "must be yes or no"],
  [/^Not a valid (date|string|list)\.$/, "must be a $1"],
  [/^Must be one of: (.+)\.$/, "must be one of $1"],
  [/^Unknown field\.$/, "is not a field spasmdx knows"],
  [/^the narrative is over (\d+) characters\.?$/i, "must be at most $1 characters: shorten it"],
];

/** "must be between 0 and 130" for "Must be greater than or equal to 0 and less than or equal to 130.". */
export function clinicalMessage(message) {
  for (const [pattern, words] of MESSAGES) if (pattern.test(message)) return clinicalText(message.replace(pattern, words));
  const text = clinicalText(message);
  return text ? text[0].toLowerCase() + text.slice(1).replace(/\.$/, "") : text;
}

/** Render a 200 answer. `controls` maps an input path to the form control it came from; `note` is the
 * narrative as sent, shown with what was read in it (`concepts`: concept id to name). */
export function renderAnswer(target, answer, references, controls, names = () => null, {note = null, concepts = {}} = {}) {
  const causes = new Map(answer.differential.map((cause) => [cause.id, cause]));
  for (const cause of answer.differential) for (const ref of cause.references) references.set(ref.id, ref);
  const read = noteBlock(note, answer.understood, concepts);
  clear(target).append(
    alertsBlock(answer.alerts, causes, references),
    differentialBlock(answer.differential, references, answer.alerts, Boolean(read)),
    pitfallsBlock(answer.pitfalls, causes, references),
    read,
    unrecognizedBlock(answer.unrecognized, controls, names),
    el("footer", {class: "answer-footer"},
      el("p", {class: "disclaimer"}, answer.disclaimer),
      el("p", {}, `Knowledge base ${answer.knowledge_base.version}, ${answer.knowledge_base.causes} causes. `,
        `Request id ${answer.request_id}.`)),
  );
}

/** Render a problem (RFC 9457): each field error links to the control it names, when shown. */
export function renderProblem(target, problem, controls, names = () => null) {
  const fields = problem.status === 422 && problem.errors && problem.errors.length;
  // A 422's detail lists the schema's paths; the list below says the same in clinical words.
  const box = el("div", {class: "problem", role: "alert", tabindex: "-1"},
    el("h3", {}, fields ? "Some entries need fixing"
      : `${problem.title || "Error"}${problem.status ? ` (${problem.status})` : ""}`),
    el("p", {}, fields ? "Nothing was ranked: correct these entries and rank again." : problem.detail || ""));
  if (problem.errors && problem.errors.length) {
    box.append(el("ul", {}, problem.errors.map((error) => el("li", {},
      jumpTo(controls.get(error.path), describePath(error.path, names(error.path))),
      `: ${clinicalMessage(error.message)}`))));
  }
  if (problem.request_id) box.append(el("p", {class: "muted"}, `Request id ${problem.request_id}.`));
  clear(target).append(box);
  return box;
}

function jumpTo(control, text) {
  if (!control) return el("strong", {}, text);
  const button = el("button", {type: "button", class: "link"}, text);
  button.addEventListener("click", () => control.focus());
  return button;
}

function citations(ids, references) {
  const items = [...new Set(ids)].map((id) => {
    const ref = references.get(id);
    return el("li", {}, ref ? (ref.url ? safeLink(ref.url, ref.citation) : ref.citation) : id);
  });
  return items.length ? el("ul", {class: "references"}, items) : null;
}

function alertsBlock(alerts, causes, references) {
  const block = el("section", {class: "alerts", "aria-labelledby": "alerts-heading"},
    el("h3", {id: "alerts-heading"}, alerts.length ? `Alerts (${alerts.length})` : "Alerts"));
  if (!alerts.length) {
    block.append(el("p", {class: "muted"}, "No red-flag alert was raised."));
    return block;
  }
  alerts.forEach((alert, index) => {
    // Messages read "<when>: <what to do>"; the part after the first colon is the action.
    const message = clinicalText(alert.message);
    const split = message.indexOf(": ");
    const when = split > 0 ? message.slice(0, split) : message;
    const action = split > 0 ? message.slice(split + 2) : "";
    // Each cause the alert names, with its place in the differential, so alert and ranking read as one.
    const named = alert.cause_ids.map((id) => {
      const cause = causes.get(id);
      return cause ? `${cause.name} (ranked ${cause.rank}, ${percent(cause.probability)})`
        : `${id.replaceAll("_", " ")} (not in the differential)`;
    });
    const heading = `alert-${index}`;
    block.append(el("article", {class: `alert alert-${alert.severity}`, "aria-labelledby": heading,
      id: `alert-${alert.id}`, tabindex: "-1", role: alert.severity === "critical" ? "alert" : null},
    el("h4", {id: heading}, el("span", {class: "badge"}, SEVERITY[alert.severity] || alert.severity), " ", when),
    action && el("p", {class: "action"}, el("strong", {}, "What to do: "), action[0].toUpperCase() + action.slice(1)),
    alert.because.length > 0 && el("p", {}, el("strong", {}, "Raised by: "), clinicalText(alert.because.join("; "))),
    named.length > 0 && el("p", {}, el("strong", {}, "Concerns: "), named.join(", ")),
    citations(alert.references, references)));
  });
  return block;
}

function differentialBlock(differential, references, alerts, noteShown) {
  const block = el("section", {class: "differential", "aria-labelledby": "differential-heading"},
    el("h3", {id: "differential-heading"}, `Ranked differential (${differential.length})`));
  if (!differential.length) {
    block.append(el("p", {class: "muted"}, "Nothing in this context points at a cause the knowledge base holds."));
    return block;
  }
  const [shown, minor] = splitMinor(differential);
  const byId = new Map(alerts.map((alert) => [alert.id, alert]));
  if (noteShown) block.append(notePointer());
  block.append(el("p", {class: "independence muted"}, INDEPENDENCE_NOTE),
    el("ol", {class: "causes"}, shown.map((cause) => causeItem(cause, references, byId, noteShown))));
  if (minor.length) block.append(el("p", {class: "also-considered muted"}, alsoConsidered(minor)));
  return block;
}

// The alert a cause is named by, as a link to it: "See alert: <when it is raised>".
function alertBadge(id, byId) {
  const alert = byId.get(id);
  const text = alert ? alert.message.split(": ")[0] : id.replaceAll("_", " ");
  const link = el("a", {href: `#alert-${id}`, class: `badge see-alert alert-link-${alert ? alert.severity : "info"}`},
    `See alert: ${text}`);
  link.addEventListener("click", (event) => {
    const target = document.getElementById(`alert-${id}`);
    if (target) {
      event.preventDefault();
      target.focus();
      target.scrollIntoView({block: "nearest"});
    }
  });
  return link;
}

// Near the top of the answer: what the note was read as is further down, after the pitfalls.
function notePointer() {
  const link = el("a", {href: "#note-heading"}, "See what the clinical note was read as");
  link.addEventListener("click", (event) => {
    const heading = document.getElementById("note-heading");
    if (!heading) return;
    event.preventDefault();
    heading.setAttribute("tabindex", "-1");
    heading.focus();
    heading.scrollIntoView({block: "start"});
  });
  return el("p", {class: "note-pointer screen-only"}, link);
}

// "In the note": moves to, and marks, the words of the note an evidence entry was read from.
function noteLink(spans) {
  const button = el("button", {type: "button", class: "link in-note"}, "in the note");
  button.addEventListener("click", () => showSpans(spans));
  return button;
}

function causeItem(cause, references, byId, noteShown) {
  const heading = `cause-${cause.id}`;
  const order = cause.references.map((ref) => ref.id);
  const supports = cause.evidence.filter((item) => item.effect === "supports");
  const against = cause.evidence.filter((item) => item.effect !== "supports");
  const evidence = (items, none) => (items.length
    ? el("ul", {class: "evidence-list"}, items.map((item) => el("li", {},
      el("span", {class: "evidence-input"}, clinicalText(item.input)), ": ", clinicalText(item.reason), " ",
      el("span", {class: "lr"}, `LR ${item.likelihood_ratio}`), " ", sources(item.references, order, references),
      noteShown && (item.spans || []).length ? [" ", noteLink(item.spans)] : null)))
    : el("p", {class: "muted"}, none));
  return el("li", {class: "cause", "aria-labelledby": heading},
    el("div", {class: "cause-head"},
      el("span", {class: "rank", "aria-hidden": "true"}, String(cause.rank)),
      el("h4", {id: heading}, cause.name),
      el("span", {class: `badge urgency-${cause.urgency}`}, cause.urgency),
      el("span", {class: "category"}, cause.category)),
    el("div", {class: "probability"},
      el("meter", {min: 0, max: 1, value: cause.probability, "aria-label": `Probability of ${cause.name}`}),
      el("span", {class: "percent"}, percent(cause.probability))),
    cause.established && el("p", {class: "established"},
      el("strong", {}, "Established: "), cause.established.criterion,
      cause.established.because.length ? ` (${clinicalText(cause.established.because.join("; "))})` : ""),
    (cause.alert_ids || []).length > 0 && el("p", {class: "alert-links"},
      cause.alert_ids.flatMap((id, index) => (index ? [" ", alertBadge(id, byId)] : [alertBadge(id, byId)]))),
    el("p", {class: "summary"}, cause.summary),
    el("details", {class: "evidence"},
      el("summary", {}, `Evidence: ${supports.length} for, ${against.length} against`),
      el("h5", {}, "For"), evidence(supports, "Nothing in the context counts for it."),
      el("h5", {}, "Against"), evidence(against, "Nothing in the context counts against it.")),
    el("details", {class: "next-steps", open: cause.rank <= 3},
      el("summary", {}, `Next steps (${cause.next_steps.length})`),
      el("ul", {}, cause.next_steps.map((step) => el("li", {}, step)))),
    el("details", {class: "cause-references"},
      el("summary", {}, `References (${cause.references.length})`),
      el("ol", {class: "references"}, cause.references.map((ref) => el("li", {},
        ref.url ? safeLink(ref.url, ref.citation) : ref.citation)))));
}

// An evidence line's sources, numbered as in the cause's reference list.
function sources(ids, order, references) {
  const marks = ids.map((id) => {
    const ref = references.get(id);
    const label = order.includes(id) ? `[${order.indexOf(id) + 1}]` : `[${id}]`;
    const link = ref && ref.url ? safeLink(ref.url, label) : el("span", {}, label);
    if (ref) link.title = ref.citation;
    return link;
  });
  return el("span", {class: "sources"}, marks.flatMap((mark, index) => (index ? [" ", mark] : [mark])));
}

function pitfallsBlock(pitfalls, causes, references) {
  const block = el("section", {class: "pitfalls", "aria-labelledby": "pitfalls-heading"},
    el("h3", {id: "pitfalls-heading"}, `Pitfalls (${pitfalls.length})`));
  if (!pitfalls.length) {
    block.append(el("p", {class: "muted"}, "No diagnostic pitfall applies."));
    return block;
  }
  block.append(el("ul", {class: "pitfall-list"}, pitfalls.map((pitfall) => el("li", {},
    el("p", {}, clinicalText(pitfall.message)),
    pitfall.because.length > 0 && el("p", {class: "muted"}, "Because: ", pitfall.because.join("; ")),
    pitfall.cause_ids.length > 0 && el("p", {class: "muted"}, "Concerns: ",
      pitfall.cause_ids.map((id) => (causes.get(id) || {name: id.replaceAll("_", " ")}).name).join(", ")),
    citations(pitfall.references, references)))));
  return block;
}

function unrecognizedBlock(unrecognized, controls, names) {
  const block = el("section", {class: "unrecognized", "aria-labelledby": "unrecognized-heading"},
    el("h3", {id: "unrecognized-heading"}, `Not understood (${unrecognized.length})`));
  if (!unrecognized.length) {
    block.append(el("p", {class: "muted"}, "Every input was recognised."));
    return block;
  }
  block.append(el("p", {}, "These inputs did not enter the score. Check the spelling, or try a suggested name."),
    el("ul", {}, unrecognized.map((item) => el("li", {},
      jumpTo(controls.get(item.path), describePath(item.path, names(item.path))), `: “${item.input}”, ${item.reason}.`))));
  return block;
}
