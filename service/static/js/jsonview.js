// The raw request: a textarea to copy or paste it, and the curl command that reproduces it.

/** A POSIX shell command that posts `text` (compacted when it is JSON) to `url`. */
export function curlCommand(url, text, withToken = false) {
  let data = text.trim();
  try {
    data = JSON.stringify(JSON.parse(data));
  } catch {
    // Not JSON (yet): show it as typed, so the command matches what "Send JSON" would send.
  }
  const quote = (value) => `'${value.replaceAll("'", "'\\''")}'`;
  // The credential itself never goes into text meant for copying: the shell reads it from a variable.
  const auth = withToken ? ' -H "Authorization: Bearer $SPASMDX_API_KEY"' : "";
  return `curl -s -X POST ${quote(url)} -H 'Content-Type: application/json'${auth} -d ${quote(data)}`;
}

/** Copy text to the clipboard; say whether it worked. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // no clipboard permission (or not a secure context): the text stays selectable
  }
}

export class JsonView {
  constructor(textarea, curl, url) {
    this.textarea = textarea;
    this.curl = curl;
    this.url = url;
    this.withToken = false;
    textarea.addEventListener("input", () => this.update());
    this.set({});
  }

  /** Show a request body, pretty-printed. */
  set(body) {
    this.textarea.value = JSON.stringify(body, null, 2);
    this.update();
  }

  /** Parse the textarea; throw an Error whose message a person can act on. */
  parse() {
    try {
      return JSON.parse(this.textarea.value);
    } catch (error) {
      throw new Error(`The JSON does not parse: ${error.message}`);
    }
  }

  update() {
    this.curl.textContent = curlCommand(this.url, this.textarea.value, this.withToken);
  }
}
