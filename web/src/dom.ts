// A small element builder, so pages read as the structure they make. Text goes in as text nodes,
// never as HTML: names and command lines come from other people's processes.

export type Child = Node | string | number | null | undefined | false | Child[];
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A section with a heading and an optional note beside it. */
export function section(title: string, note: Child, ...body: Child[]): HTMLElement {
  return h(
    'section',
    { class: 'card' },
    h('h2', null, title, note ? h('span', { class: 'note' }, note) : null),
    ...body,
  );
}

/** A label/value pair for the key-figure strips; `hint` explains the kernel term on hover. */
export function figure(label: string, value: Child, hint?: string, sub?: Child): HTMLElement {
  return h(
    'div',
    { class: 'figure', title: hint },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value' }, value),
    sub ? h('div', { class: 'sub' }, sub) : null,
  );
}
