/**
 * The canonical minified form of a JSON text: every whitespace character outside strings removed,
 * everything else (string contents and their escapes, numbers, key order) kept byte for byte.
 *
 * DOKU's own libraries sign a notification over its minified body, and a body may reach us
 * pretty-printed. Re-serialising with JSON.stringify would not do: it can change escapes and
 * number forms, which the signer did not. Inside a string a space is content, so tampering there
 * still breaks the signature.
 */
export function minifyJson(text: string): string {
  let out = '';
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped, whatever it is
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
    } else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      out += text.slice(start, i);
      start = i + 1;
    }
  }
  return out + text.slice(start);
}
