// Small DOM helpers. Text always goes in through textContent, never innerHTML,
// so nothing a user typed or the server returned can become markup.

/** Create an element: el("a", {href: url, class: "ref"}, "text", childNode, ...). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, ...children);
  return node;
}

/** Append children; strings become text nodes, null and undefined are skipped. */
export function append(node, ...children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false || child === "") continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Remove every child of a node. */
export function clear(node) {
  node.replaceChildren();
  return node;
}

/** A link only to http(s) addresses: a reference URL is data, not a place to run script from. */
export function safeLink(url, text) {
  let parsed = null;
  try {
    parsed = new URL(url, document.baseURI);
  } catch {
    parsed = null;
  }
  if (!parsed || !["http:", "https:"].includes(parsed.protocol)) return document.createTextNode(text);
  return el("a", {href: parsed.href, rel: "noopener noreferrer", target: "_blank"}, text);
}

/** Read a JSON data block such as <script type="application/json" id="...">. */
export function readDataBlock(id) {
  const block = document.getElementById(id);
  return block ? JSON.parse(block.textContent) : {};
}

/** Fold text for matching: trimmed, lower case, single spaces. */
export function fold(text) {
  return String(text ?? "").trim().toLowerCase().replace(/\s+/g, " ");
}
