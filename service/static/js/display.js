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
