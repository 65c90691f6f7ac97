// How a probability reads on the page: the same rule as spasmdx/display.py (the client table and
// the CDS card), held to one table by tests. The answer's probability stays a number; this is
// only its display, with no more precision than a model of bounded likelihood ratios has.

// Causes under this are named on one "also considered" line instead of a row each.
export const MINOR = 0.01;

export const INDEPENDENCE_NOTE =
  "Each cause is scored on its own and causes can coexist, so the percentages do not add up to 100%.";

/** "46%", "4%", "<1%", ">99%": whole from 10%, one significant figure from 1% to 10%. */
export function percent(probability) {
  const value = probability * 100;
  if (value < 1) return "<1%";
  if (value >= 99.5) return ">99%"; // a post-test probability is never certainty
  // From 1% to 10% one significant figure is the whole number too; halves round up.
  return `${Math.floor(value + 0.5)}%`;
}

/** [shown, minor]: causes under 1% go on the "also considered" line, unless an alert names them. */
export function splitMinor(differential) {
  const shown = [];
  const minor = [];
  for (const cause of differential) {
    (cause.probability < MINOR && !(cause.alert_ids || []).length ? minor : shown).push(cause);
  }
  return [shown, minor];
}

/** The one line naming the causes under 1%; "" when there are none. */
export function alsoConsidered(minor) {
  return minor.length ? `Also considered (under 1% each): ${minor.map((cause) => cause.name).join(", ")}.` : "";
}

// UCUM as the API spells units, and as a clinician writes them. The page shows the right side and
// sends the left; spasmdx/display.py holds the same table (a test compares the two).
export const UNITS = {
  "m[IU]/L": "mIU/L", "m[IU]/mL": "mIU/mL", "[IU]/L": "IU/L", "[IU]/mL": "IU/mL", "u[IU]/mL": "µIU/mL",
  "u[U]/mL": "µU/mL", "mL/min/{1.73_m2}": "mL/min/1.73 m²", "Cel": "°C", "degC": "°C", "[degF]": "°F",
  "degF": "°F", "umol/L": "µmol/L", "umol/(24.h)": "µmol/24 h", "ug/L": "µg/L", "ug/dL": "µg/dL",
  "ug/mL": "µg/mL", "ug/(24.h)": "µg/24 h", "nmol/(24.h)": "nmol/24 h", "ukat/L": "µkat/L", "/uL": "/µL",
  "10*3/uL": "×10³/µL", "10*9/L": "×10⁹/L", "{INR}": "INR", "meq/L": "mEq/L", "mosm/kg": "mOsm/kg",
};
const UCUM_OF = new Map(Object.entries(UNITS).reverse().map(([ucum, shown]) => [shown, ucum]));
// A unit after a number in the service's text ("TSH 8 m[IU]/L"), longest first so "m[IU]/L" beats "[IU]/L".
const UNIT_IN_TEXT = new RegExp(`(\\d) (${Object.keys(UNITS).sort((a, b) => b.length - a.length)
  .map((unit) => unit.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")})(?=$|[\\s,;.)\\]])`, "g");

/** "mIU/L" for "m[IU]/L"; a unit with no other spelling as it is. */
export function clinicalUnit(unit) {
  return UNITS[unit] ?? unit;
}

/** The UCUM a typed unit stands for ("mIU/L" -> "m[IU]/L"); anything else as typed. */
export function ucumUnit(unit) {
  return UCUM_OF.get(unit) ?? unit;
}

/** The service's text with units in clinical notation and whole numbers without ".0" ("1000000000.0"). */
export function clinicalText(text) {
  return String(text).replace(/(?<![\d.])(\d+)\.0(?![\d.])/g, "$1").replace(UNIT_IN_TEXT, (_, digit, unit) => `${digit} ${UNITS[unit]}`);
}

const STEPS = 3; // next steps per cause in the summary: the first, as the knowledge base orders them
const SEVERITY = {critical: "Critical", warning: "Warning", info: "Note"};
// How a mention in a clinical note was read (the answer's `understood`), in the order the legend,
// the client and the summary give them; spasmdx/display.py holds the same.
export const NOTE_STATUSES = ["present", "absent", "historical", "hypothetical", "family"];

/** The knowledge base's name for a concept id (`names`: id to name), else the id in words. */
export function conceptName(concept, names = {}) {
  return (Object.hasOwn(names, concept) && names[concept]) || concept.replaceAll("_", " ");
}

/** What a note was read as, short: a line per status, each concept once with the note's first words for it. */
export function noteLines(understood, names = {}) {
  const lines = [];
  for (const status of NOTE_STATUSES) {
    const read = new Map();
    for (const item of understood) {
      const name = conceptName(item.concept, names);
      if (item.status === status && !read.has(name)) read.set(name, item.text);
    }
    if (read.size) {
      const said = [...read].map(([name, text]) => `${name} (“${text}”)`).join(", ");
      lines.push(`- ${status[0].toUpperCase()}${status.slice(1)}: ${said}`);
    }
  }
  return lines;
}

/** Plain text for a clinical note: alerts, the first three causes, pitfalls, what the note was read as
 * (`names`: concept id to name), the knowledge-base version and the request id. */
export function summary(answer, names = {}) {
  const lines = ["spasmdx differential (decision support, not a diagnosis)", "", "Alerts:"];
  if (!answer.alerts.length) lines.push("- None raised.");
  for (const alert of answer.alerts) lines.push(`- ${SEVERITY[alert.severity] ?? alert.severity}: ${clinicalText(alert.message)}`);
  lines.push("", `Leading causes (${Math.min(3, answer.differential.length)} of ${answer.differential.length}):`);
  if (!answer.differential.length) lines.push("- Nothing in this context points at a cause the knowledge base holds.");
  for (const cause of answer.differential.slice(0, 3)) {
    lines.push(`${cause.rank}. ${cause.name}: ${percent(cause.probability)}`);
    if (cause.established) lines.push(`   Established: ${clinicalText(cause.established.criterion)}`);
    for (const item of cause.evidence.slice(0, 3)) {
      const side = item.effect === "supports" ? "For" : "Against";
      lines.push(`   ${side}: ${clinicalText(item.reason)} (${clinicalText(item.input)})`);
    }
    for (const step of cause.next_steps.slice(0, STEPS)) lines.push(`   Next step: ${clinicalText(step)}`);
  }
  lines.push(INDEPENDENCE_NOTE);
  if (answer.pitfalls.length) {
    lines.push("", "Pitfalls:");
    for (const pitfall of answer.pitfalls) lines.push(`- ${clinicalText(pitfall.message)}`);
  }
  if (answer.understood && answer.understood.length) lines.push("", "Read in the note:", ...noteLines(answer.understood, names));
  lines.push("", `Knowledge base ${answer.knowledge_base.version}; request id ${answer.request_id}.`);
  return lines.join("\n");
}
