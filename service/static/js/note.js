// The clinical note shown back with what was read in it (the answer's `understood`): every mention
// highlighted by status, with a legend, its concept and status on hover and on keyboard focus.
// The note's text goes in through text nodes only: a note holding markup shows it as text.
import {el} from "./dom.js";
import {NOTE_STATUSES, conceptName, noteLines} from "./display.js";

// What each status means, for the legend; colour and underline style (page.css) tell them apart.
const LEGEND = {
  present: "present now, in the patient",
  absent: "denied or negative",
  historical: "in the past",
  hypothetical: "queried, planned or conditional",
  family: "about someone else, such as a relative",
};

/** Code-point offsets (as the service counts) to UTF-16 indices (as JavaScript strings count). */
export function utf16Offsets(text) {
  const offsets = [0];
  let index = 0;
  for (const character of text) {
    index += character.length;
    offsets.push(index);
  }
  return offsets;
}

/**
 * Cut the note at every mention's start and end: [{start, end, covering}] in code points, where
 * `covering` lists the mentions over that stretch, the innermost (shortest) first. Overlapping and
 * nested mentions give stretches covered by more than one; every character appears once.
 */
export function segments(length, understood) {
  const inside = understood.filter((item) => item.start < item.end && item.end <= length);
  const cuts = [...new Set([0, length, ...inside.flatMap((item) => [item.start, item.end])])].sort((a, b) => a - b);
  const pieces = [];
  for (let index = 0; index + 1 < cuts.length; index += 1) {
    const [start, end] = [cuts[index], cuts[index + 1]];
    const covering = inside.filter((item) => item.start <= start && item.end >= end)
      .sort((a, b) => (a.end - a.start) - (b.end - b.start));
    pieces.push({start, end, covering});
  }
  return pieces;
}

/** "Muscle cramp, present (“calf cramps”)": one mention as the hover and focus text say it. */
export function describeMention(item, names) {
  return `${conceptName(item.concept, names)}, ${item.status} (“${item.text}”)`;
}

function legend() {
  return el("ul", {class: "note-legend", "aria-label": "Legend: how each mention was read"},
    NOTE_STATUSES.map((status) => el("li", {},
      el("span", {class: `mention status-${status}`}, status), ` ${LEGEND[status]}`)));
}

/** The section showing the note with its mentions; null when nothing was read or no note was sent. */
export function noteBlock(note, understood, names = {}) {
  if (typeof note !== "string" || !note || !understood || !understood.length) return null;
  const at = utf16Offsets(note);
  const length = at.length - 1;
  const tip = el("div", {class: "note-tip", role: "tooltip", id: "note-tip", hidden: true});
  const descriptions = el("div", {hidden: true});
  const text = el("p", {class: "note-text"});
  let count = 0;
  let markedTo = -1; // where the last marked stretch ended: a mention starting there is set apart
  for (const piece of segments(length, understood)) {
    const words = note.slice(at[piece.start], at[piece.end]);
    if (!piece.covering.length) {
      text.append(document.createTextNode(words));
      continue;
    }
    const said = piece.covering.map((item) => describeMention(item, names)).join("; ");
    // A stretch where a mention starts is a tab stop; the rest of a long mention is not, so each
    // mention is reached once by the keyboard and every stretch still shows its text on hover.
    const starts = piece.covering.some((item) => item.start === piece.start);
    // Adjacent: a mention begins right where another ends, with nothing of the other over it.
    const adjacent = starts && markedTo === piece.start && piece.covering.every((item) => item.start === piece.start);
    markedTo = piece.end;
    const id = `mention-${++count}`;
    descriptions.append(el("span", {id: `${id}-said`}, said));
    text.append(el("mark", {
      id, class: [`mention status-${piece.covering[0].status}`, piece.covering.length > 1 ? "overlap" : "",
        starts ? "starts" : "", adjacent ? "adjacent" : ""].filter(Boolean).join(" "),
      tabindex: starts ? 0 : null, "aria-describedby": `${id}-said`,
      dataset: {start: String(piece.start), end: String(piece.end), said},
    }, words));
  }
  const show = (event) => {
    const mark = event.target.closest && event.target.closest("mark.mention");
    if (!mark || !text.contains(mark)) return;
    tip.textContent = mark.dataset.said;
    tip.hidden = false;
    const box = mark.getBoundingClientRect();
    const frame = text.getBoundingClientRect();
    // Under the mark, but kept inside the note's box: a tip never makes the page scroll sideways.
    tip.style.left = `${Math.max(0, Math.min(box.left - frame.left, frame.width - tip.offsetWidth))}px`;
    tip.style.top = `${box.bottom - frame.top + 4}px`;
  };
  const hide = () => {
    tip.hidden = true;
  };
  text.addEventListener("mouseover", show);
  text.addEventListener("focusin", show);
  text.addEventListener("mouseleave", hide);
  text.addEventListener("focusout", hide);
  text.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hide();
  });
  return el("section", {class: "note-read", "aria-labelledby": "note-heading"},
    el("h3", {id: "note-heading"}, `Read in the clinical note (${understood.length})`),
    el("p", {class: "muted screen-only"}, "Each mention is marked by how it was read: point at it, or tab to it, for "
      + "the concept. Present and absent ones enter the score; past ones where the knowledge base tells past from "
      + "present; hypothetical ones and those about someone else do not count for the patient."),
    legend(),
    el("div", {class: "note-frame screen-only"}, text, tip),
    descriptions,
    // Printed and copied: the short form, not the whole note.
    el("ul", {class: "note-short print-only"}, noteLines(understood, names).map((line) => el("li", {}, line.slice(2)))));
}

/** Show the note's stretches behind an evidence entry (its `spans`): marked, brought into view, focused. */
export function showSpans(spans) {
  const marks = [...document.querySelectorAll(".note-text mark.mention")];
  for (const mark of marks) mark.classList.remove("linked");
  const hit = marks.filter((mark) => spans.some((span) => span.path === "narrative"
    && Number(mark.dataset.start) >= span.start && Number(mark.dataset.end) <= span.end));
  for (const mark of hit) mark.classList.add("linked");
  if (!hit.length) return false;
  if (!hit[0].hasAttribute("tabindex")) hit[0].setAttribute("tabindex", "-1");
  hit[0].focus({preventScroll: true});
  hit[0].scrollIntoView({block: "center"});
  return true;
}
