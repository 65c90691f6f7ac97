// A request path ("labs[2].reference_range.low") in the words a clinician reads on the page.

export const PATH = /^(\w+)(?:\[(\d+)\])?(?:\.(.+))?$/;
const PLURALS = {findings: "Findings", medications: "Medications", conditions: "Conditions", labs: "Labs"};

/** "Labs, item 3 (CK), unit" for "labs[2].unit", "Patient, age" for "patient.age"; `name` is the row's. */
export function describePath(path, name = null) {
  if (path === "(body)") return "Request";
  if (path === "narrative") return "Clinical note";
  const match = PATH.exec(path);
  if (!match) return path;
  const [, section, index, rest] = match;
  const words = rest ? rest.replaceAll("_", " ").replaceAll(".", ", ") : "";
  if (section === "patient") return words ? `Patient, ${words}` : "Patient";
  if (!(section in PLURALS)) return [section.replaceAll("_", " "), words].filter(Boolean).join(", ");
  if (index === undefined) return PLURALS[section];
  const item = `${PLURALS[section]}, item ${Number(index) + 1}${name ? ` (${name})` : ""}`;
  return words ? `${item}, ${words}` : item;
}
