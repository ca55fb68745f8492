/**
 * The path of the first object key that appears twice in a JSON text, or null. JSON.parse keeps the last
 * of two equal keys silently (`{"quantity":1,"quantity":999999}` would reserve 999999), so bodies are
 * checked for them. The text must already be valid JSON (JSON.parse accepted it).
 */
export function firstDuplicateKey(text: string): string | null {
  interface Frame {
    keys: Set<string> | null; // null: an array
    path: string;
    index: number;
    pendingKey: string | null;
  }
  const stack: Frame[] = [];
  const childPath = (frame: Frame | undefined): string => {
    if (!frame) return '';
    const segment = frame.keys === null ? String(frame.index) : (frame.pendingKey ?? '');
    return frame.path === '' ? segment : `${frame.path}.${segment}`;
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      // A string directly inside an object, where a key is expected, is a key.
      if (top && top.keys !== null && top.pendingKey === null) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return top.path === '' ? key : `${top.path}.${key}`;
        top.keys.add(key);
        top.pendingKey = key;
      }
      i = end + 1;
      continue;
    }
    if (ch === '{' || ch === '[') {
      const parent = stack[stack.length - 1];
      stack.push({
        keys: ch === '{' ? new Set() : null,
        path: childPath(parent),
        index: 0,
        pendingKey: null,
      });
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      const parent = stack[stack.length - 1];
      if (parent && parent.keys !== null) parent.pendingKey = null;
    } else if (ch === ',') {
      const top = stack[stack.length - 1];
      if (top) {
        if (top.keys === null) top.index += 1;
        else top.pendingKey = null;
      }
    }
    i += 1;
  }
  return null;
}

/** Index of the closing quote of the string starting at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i;
    else i += 1;
  }
  return text.length - 1;
}
