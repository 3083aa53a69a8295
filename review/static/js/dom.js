// Building the page: every value from the server goes in as text, never as HTML.

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

const two = (n) => String(n).padStart(2, '0');

/** A time as YYYY-MM-DD HH:MM:SS in the browser's zone (the ISO time in its title). */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export const timeCell = (iso) => el('td', { class: 'time', title: iso ?? null, text: when(iso) });

export const stateText = (item) => (item.state === 'done' ? `done: ${item.outcome}` : item.state);

/** A literal the code writes, as Python would show it; null: computed at run time; undefined: the analysis gave none. */
export function valueText(value) {
  if (value === null) return 'computed at run time';
  if (value === undefined) return 'not known from the analysis';
  if (Array.isArray(value)) return `[${value.map(valueText).join(', ')}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}
