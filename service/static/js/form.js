// The case form: rows per section, read into a request, filled from one, and
// messages (422 errors, unrecognised inputs) shown next to the field a path names.
import {clinicalUnit, ucumUnit} from "./display.js";
import {el} from "./dom.js";
import {PATH} from "./paths.js";
import {codeLabel, unitsFor} from "./vocabulary.js";

export const SECTIONS = ["findings", "medications", "conditions", "labs"];
export const NOTE_LIMIT = 20000; // characters of the clinical note the service reads (openapi.yaml: narrative)
const NOUNS = {findings: "Finding", medications: "Medication", conditions: "Condition", labs: "Lab"};
// The item keys each section's row shows; anything else from pasted JSON rides along unchanged.
const SHOWN = {
  findings: ["display", "code", "present"],
  medications: ["display", "code", "status", "start_date"],
  conditions: ["display", "code"],
  labs: ["display", "code", "value", "unit", "reference_range"],
};
// The row field a request path points at (labs[2].reference_range.low -> "low").
const FIELD_OF = {display: "name", code: "name", present: "present", status: "status", start_date: "start_date",
  value: "value", unit: "unit", reference_range: "low", "reference_range.low": "low",
  "reference_range.high": "high"};
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// The patient fields the form shows, and the values each can show.
const PATIENT_SHOWN = {
  age: (value) => typeof value === "number",
  sex: (value) => ["female", "male", "other", "unknown"].includes(value),
  pregnant: (value) => typeof value === "boolean",
};

let counter = 0;

function rangeText({low, high}) {
  if (low !== undefined && high !== undefined) return `${low}–${high}`;
  return low !== undefined ? `≥ ${low}` : `≤ ${high}`;
}

export class CaseForm {
  constructor(form, vocabulary) {
    this.form = form;
    this.vocabulary = vocabulary;
    this.state = new WeakMap(); // row -> {code, extra}: a code and keys from pasted JSON the row cannot show
    this.extra = {patient: {}, top: {}};
    for (const section of SECTIONS) this.addRow(section);
    form.querySelector("#narrative").addEventListener("input", () => this.countNote());
    this.countNote();
    form.querySelector("#patient-sex").addEventListener("change", () => {
      for (const row of this.rows("labs")) this.describe("labs", row);
    });
  }

  rows(section) {
    return [...this.form.querySelectorAll(`[data-rows="${section}"] > .row`)];
  }

  /** Add a row to a section, filled from a request item if one is given; return it. */
  addRow(section, item = null) {
    const row = document.getElementById(`row-${section}`).content.firstElementChild.cloneNode(true);
    const number = ++counter;
    for (const input of row.querySelectorAll("[data-field]")) {
      input.id = `${section}-${number}-${input.dataset.field}`;
      row.querySelector(`label[data-for="${input.dataset.field}"]`).htmlFor = input.id;
    }
    const tag = row.querySelector("[data-coded]");
    tag.id = `${section}-${number}-coded`;
    const name = row.querySelector('[data-field="name"]');
    name.setAttribute("aria-describedby", tag.id);
    const units = row.querySelector("datalist[data-units]");
    if (units) {
      units.id = `${section}-${number}-units`;
      row.querySelector('[data-field="unit"]').setAttribute("list", units.id);
    }
    this.state.set(row, {code: null, extra: {}});
    name.addEventListener("input", () => {
      this.state.get(row).code = null; // the text changed: a code that came with the JSON no longer applies
      this.describe(section, row);
    });
    name.addEventListener("change", () => {
      const entry = this.vocabulary[section].find(name.value);
      if (entry) name.value = entry.display; // a typed code or synonym shows as the name it stands for
      this.describe(section, row);
    });
    row.querySelector("[data-remove]").addEventListener("click", () => this.removeRow(section, row));
    this.form.querySelector(`[data-rows="${section}"]`).append(row);
    if (item !== null) this.fillRow(section, row, item);
    this.describe(section, row);
    this.renumber(section);
    return row;
  }

  removeRow(section, row) {
    const rows = this.rows(section);
    const next = rows[rows.indexOf(row) + 1] || rows[rows.indexOf(row) - 1];
    row.remove();
    this.renumber(section);
    (next ? next.querySelector("input, select") : this.form.querySelector(`[data-add="${section}"]`)).focus();
  }

  renumber(section) {
    this.rows(section).forEach((row, index) => {
      row.setAttribute("aria-label", `${NOUNS[section]} ${index + 1}`);
      const remove = row.querySelector("[data-remove]");
      remove.setAttribute("aria-label", `Remove ${NOUNS[section].toLowerCase()} ${index + 1}`);
    });
  }

  /** Show whether a row's name is coded; for a lab, suggest its units and say its default range. */
  describe(section, row) {
    const name = row.querySelector('[data-field="name"]');
    const entry = this.vocabulary[section].find(name.value);
    const code = this.state.get(row).code || (entry && entry.code);
    // Free text gets no tag: understood or not is the service's to say, next to the field, after ranking.
    const said = [code ? codeLabel(code) : ""];
    if (section === "labs") {
      const units = unitsFor(this.vocabulary, entry);
      const shown = [...new Set(units.map(clinicalUnit))]; // offered as written in a note, sent as UCUM
      row.querySelector("datalist[data-units]").replaceChildren(...shown.map((unit) => el("option", {value: unit})));
      // The default the service will use: sex-specific where the lab has one (CK, creatinine, ...).
      const sex = this.form.querySelector("#patient-sex").value;
      const range = entry && ((entry.lab.reference_range_by_sex || {})[sex] || entry.lab.reference_range);
      if (range) said.push(`adult default ${rangeText(range)} ${clinicalUnit(entry.lab.unit)}`);
    }
    row.querySelector("[data-coded]").textContent = said.filter(Boolean).join(" · ");
  }

  /** Return {body, origins}: the request, and for each section the row each item came from. */
  read() {
    const body = {...this.extra.top};
    const patient = {...this.extra.patient};
    const age = this.form.querySelector("#patient-age").value.trim();
    if (age !== "") patient.age = Number(age);
    const sex = this.form.querySelector("#patient-sex").value;
    if (sex) patient.sex = sex;
    const pregnant = this.form.querySelector("#patient-pregnant").value;
    if (pregnant) patient.pregnant = pregnant === "true";
    if (Object.keys(patient).length) body.patient = patient;
    const note = this.form.querySelector("#narrative").value;
    if (note.trim()) body.narrative = note; // sent as typed: the service's offsets point into it
    const origins = {};
    for (const section of SECTIONS) {
      const items = [];
      origins[section] = [];
      for (const row of this.rows(section)) {
        const item = this.readRow(section, row);
        if (item) {
          items.push(item);
          origins[section].push(row);
        }
      }
      if (items.length) body[section] = items;
    }
    return {body, origins};
  }

  readRow(section, row) {
    const value = (field) => row.querySelector(`[data-field="${field}"]`).value.trim();
    const {code: given, extra} = this.state.get(row);
    const name = value("name");
    const typed = ["start_date", "value", "unit", "low", "high"]
      .some((field) => row.querySelector(`[data-field="${field}"]`) && value(field));
    if (!name && !given && !typed && !Object.keys(extra).length) return null; // a blank row is not an item
    const item = {...extra};
    const entry = name ? this.vocabulary[section].find(name) : null;
    const code = given || (entry && entry.code);
    if (code) item.code = code;
    if (name) item.display = entry && !given ? entry.display : name;
    if (section === "findings") item.present = value("present") === "true";
    if (section === "medications") {
      item.status = value("status");
      if (value("start_date")) item.start_date = value("start_date");
    }
    if (section === "labs") {
      if (value("value") !== "") item.value = Number(value("value"));
      if (value("unit")) item.unit = ucumUnit(value("unit"));
      const range = {};
      for (const bound of ["low", "high"]) if (value(bound) !== "") range[bound] = Number(value(bound));
      if (Object.keys(range).length) item.reference_range = range;
    }
    return item;
  }

  /** Replace the form's content with a request body (an example, or pasted JSON). */
  fill(context) {
    if (!context || typeof context !== "object" || Array.isArray(context)) {
      throw new Error("The request must be a JSON object, such as {\"findings\": [\"calf cramps\"]}.");
    }
    for (const section of SECTIONS) {
      if (context[section] !== undefined && !Array.isArray(context[section])) {
        throw new Error(`"${section}" must be a list.`);
      }
    }
    const {patient = {}, ...rest} = context;
    if (!patient || typeof patient !== "object" || Array.isArray(patient)) {
      throw new Error('"patient" must be an object.');
    }
    this.clearMessages();
    for (const [key, shows] of Object.entries(PATIENT_SHOWN)) {
      this.form.querySelector(`#patient-${key}`).value = shows(patient[key]) ? String(patient[key]) : "";
    }
    const hidden = Object.entries(patient).filter(([key, value]) => !PATIENT_SHOWN[key]?.(value));
    this.extra.patient = Object.fromEntries(hidden);
    const {narrative, ...others} = rest;
    const note = this.form.querySelector("#narrative");
    note.value = typeof narrative === "string" ? narrative : "";
    this.countNote();
    if (narrative !== undefined && typeof narrative !== "string") others.narrative = narrative; // for the service to refuse
    this.extra.top = Object.fromEntries(Object.entries(others).filter(([key]) => !SECTIONS.includes(key)));
    for (const section of SECTIONS) {
      this.rows(section).forEach((row) => row.remove());
      for (const item of context[section] || []) this.addRow(section, item);
      if (!this.rows(section).length) this.addRow(section);
    }
  }

  fillRow(section, row, raw) {
    const item = raw && typeof raw === "object" ? raw : {display: String(raw)};
    const set = (field, value) => {
      row.querySelector(`[data-field="${field}"]`).value = value;
    };
    const extra = Object.fromEntries(Object.entries(item).filter(([key]) => !SHOWN[section].includes(key)));
    const code = item.code && typeof item.code === "object" ? item.code : null;
    set("name", item.display ?? this.vocabulary[section].nameOf(code) ?? (code ? String(code.code) : ""));
    this.state.set(row, {code, extra});
    if (section === "findings") set("present", item.present === false ? "false" : "true");
    if (section === "medications") {
      const status = row.querySelector('[data-field="status"]');
      if ([...status.options].some((option) => option.value === item.status)) status.value = item.status;
      else if (item.status !== undefined) extra.status = item.status;
      if (DATE.test(item.start_date ?? "")) set("start_date", item.start_date);
      else if (item.start_date !== undefined) extra.start_date = item.start_date;
    }
    if (section === "labs") {
      if (typeof item.value === "number") set("value", String(item.value));
      else if (item.value !== undefined) extra.value = item.value; // not a number: sent as given, for the service
      if (item.unit !== undefined) set("unit", clinicalUnit(String(item.unit)));
      const range = item.reference_range && typeof item.reference_range === "object" ? item.reference_range : {};
      for (const bound of ["low", "high"]) if (typeof range[bound] === "number") set(bound, String(range[bound]));
    }
    if (Object.keys(extra).length) {
      const note = `Also sent as given in the JSON: ${Object.keys(extra).join(", ")}.`;
      row.append(el("p", {class: "row-extra"}, note));
    }
  }

  /** Say how long the note is against the service's limit (counted as it counts: code points). */
  countNote() {
    const length = [...this.form.querySelector("#narrative").value].length;
    const counter = this.form.querySelector("#narrative-count");
    const over = length > NOTE_LIMIT;
    counter.textContent = `${length.toLocaleString("en")} of ${NOTE_LIMIT.toLocaleString("en")} characters`
      + (over ? `: ${(length - NOTE_LIMIT).toLocaleString("en")} too many, shorten it to rank` : "");
    counter.classList.toggle("error-text", over);
  }

  /** Empty every field. */
  reset() {
    this.fill({});
  }

  /** Return the form control a request path names, or null if none is shown. */
  controlFor(path, origins) {
    const match = PATH.exec(path);
    if (!match) return null;
    const [, section, index, rest] = match;
    if (section === "patient") return this.form.querySelector(`#patient-${rest || "age"}`);
    if (section === "narrative") return this.form.querySelector("#narrative");
    if (!SECTIONS.includes(section)) return null;
    if (index === undefined) return this.form.querySelector(`[data-add="${section}"]`);
    const row = origins && origins[section] ? origins[section][Number(index)] : null;
    if (!row) return null;
    const field = !rest ? "name" : FIELD_OF[rest] || FIELD_OF[rest.split(".")[0]] || "name";
    return row.querySelector(`[data-field="${field}"]`);
  }

  /** Put a message in the row of the control a path names, tied to that control; return it, or null. */
  mark(path, text, kind, origins) {
    const control = this.controlFor(path, origins);
    if (!control) return null;
    const error = kind === "error";
    const label = control.labels && control.labels.length ? `${control.labels[0].textContent.trim()}: ` : "";
    const message = el("p", {class: error ? "field-error" : "field-note", id: `${control.id}-${kind}-${++counter}`},
      el("span", {class: "visually-hidden"}, error ? "Error: " : "Not recognised: "), el("strong", {}, label), text);
    // Under the row, full width, so a narrow field's message stays readable; the label says which field.
    (control.closest(".row") || control.closest("fieldset")).append(message);
    if (error) control.setAttribute("aria-invalid", "true");
    const described = control.getAttribute("aria-describedby");
    control.setAttribute("aria-describedby", described ? `${described} ${message.id}` : message.id);
    return control;
  }

  /** Remove every field message, and the references and invalid marks that pointed at them. */
  clearMessages() {
    const gone = new Set();
    for (const message of this.form.querySelectorAll(".field-error, .field-note")) {
      gone.add(message.id);
      message.remove();
    }
    for (const control of this.form.querySelectorAll("[aria-describedby]")) {
      const kept = control.getAttribute("aria-describedby").split(" ").filter((id) => id && !gone.has(id));
      if (kept.length) control.setAttribute("aria-describedby", kept.join(" "));
      else control.removeAttribute("aria-describedby");
    }
    for (const control of this.form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  }
}

