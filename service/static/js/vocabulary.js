// The knowledge base's vocabulary (GET /v1/vocabulary) as <datalist> suggestions,
// and the lookup from what was typed or picked to a coded item.
import {el, fold} from "./dom.js";

const SYSTEM_LABELS = {
  "http://snomed.info/sct": "SNOMED CT",
  "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
  "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
  "http://www.whocc.no/atc": "ATC",
  "http://loinc.org": "LOINC",
};

/** "SNOMED CT 55300003" for {system, code}. */
export function codeLabel(code) {
  return `${SYSTEM_LABELS[code.system] || code.system} ${code.code}`;
}

/** One section's suggestions, and a map from folded text (a name or a code) to its entry. */
class Section {
  constructor() {
    this.entries = new Map();
    this.options = [];
  }

  /** Offer `display` with its codes (the first is the one sent); typing any of the codes finds it too. */
  add(display, codes, note = "", extra = {}) {
    const entry = {display, code: codes.length ? {system: codes[0].system, code: codes[0].code} : null, ...extra};
    const key = fold(display);
    if (!this.entries.has(key)) {
      this.entries.set(key, entry);
      this.options.push([display, [...codes.map(codeLabel), note].filter(Boolean).join(" · ")]);
    }
    for (const code of codes) {
      const codeKey = fold(code.code);
      if (this.entries.has(codeKey)) continue;
      this.entries.set(codeKey, entry);
      this.options.push([code.code, `${display} (${codeLabel(code)})`]);
    }
    return entry;
  }

  /** Let another name (a synonym such as "CK") find an entry, unless that text already names one. */
  alias(text, entry) {
    if (!this.entries.has(fold(text))) this.entries.set(fold(text), entry);
  }

  /** Return the entry whose name or code is `text`, or null for free text. */
  find(text) {
    return this.entries.get(fold(text)) || null;
  }

  /** Return the name to show for a code sent in JSON, if the vocabulary knows it. */
  nameOf(code) {
    const entry = code && this.entries.get(fold(code.code));
    return entry && entry.code && entry.code.system === code.system ? entry.display : null;
  }
}

/** Build the four sections from the vocabulary listing. */
export function buildVocabulary(data) {
  const sections = {findings: new Section(), conditions: new Section(), medications: new Section(),
    labs: new Section()};
  for (const concept of data.findings) sections.findings.add(concept.name, concept.codes);
  for (const concept of data.conditions) sections.conditions.add(concept.name, concept.codes);
  const medications = sections.medications;
  const {ingredients, classes} = data.medications;
  for (const drug of ingredients) {
    medications.add(drug.name, drug.codes, drug.brands.length ? `brands ${drug.brands.slice(0, 3).join(", ")}` : "");
  }
  // A brand is sent with its ingredient's code: the product is that ingredient, whatever its name.
  for (const drug of ingredients) {
    for (const brand of drug.brands) medications.add(brand, drug.codes.slice(0, 1), `brand of ${drug.name}`);
    for (const product of drug.products) medications.add(product.display, [product], drug.name);
  }
  // Only classes a client can name by code: the others are the rules' own groupings.
  for (const group of classes) if (group.codes.length) medications.add(group.name, group.codes, "drug class");
  // A lab's synonyms go in its label, where the browser matches what is typed ("CK" offers creatine kinase).
  const labs = data.labs.map((lab) => sections.labs.add(lab.name, lab.codes, lab.synonyms.slice(0, 6).join(", "),
    {lab}));
  for (const entry of labs) for (const synonym of entry.lab.synonyms) sections.labs.alias(synonym, entry);
  sections.units = [...new Set(data.labs.flatMap((lab) => lab.units))].sort();
  // Concept id to name, for what a clinical note was read as (the answer's `understood`).
  sections.names = Object.fromEntries([...data.findings, ...data.conditions, ...ingredients, ...classes, ...data.labs]
    .map((entry) => [entry.id, entry.name]));
  return sections;
}

/** Fill the page's <datalist id="vocab-SECTION"> elements. */
export function fillDatalists(sections) {
  for (const name of ["findings", "conditions", "medications", "labs"]) {
    const list = document.getElementById(`vocab-${name}`);
    list.replaceChildren(...sections[name].options.map(([value, label]) => el("option", {value, label})));
  }
}

/** The units to suggest for a lab row: the lab's accepted units, else every unit known. */
export function unitsFor(sections, entry) {
  return entry && entry.lab && entry.lab.units.length ? entry.lab.units : sections.units;
}
