// Small DOM helpers: nothing in the page parses markup from a request.

export const $ = (id) => document.getElementById(id);

/** An element. `props`: class, dataset, or plain attributes (only inert ones are ever
 *  given data). Children that are not nodes become text nodes: nothing parses markup. */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  return add(node, children);
}

function add(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces what `node` holds with `children`. */
export function fill(node, ...children) {
  node.replaceChildren();
  return add(node, children);
}

/** Sets a textarea's text so that both `.value` and `.textContent` read it back. */
export function setArea(area, text) {
  area.textContent = text;
  area.value = text;
}

export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON.parse that says whether it could: { ok, value }. */
export function tryJSON(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (_) {
    return { ok: false, value: undefined };
  }
}
