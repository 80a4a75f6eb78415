import type { OutlineEntry } from '../types.ts';

/**
 * HTML (a DOM) to plain text that keeps structure: headings and paragraphs as blocks separated by
 * blank lines, list items and table rows one per line (cells joined by " | "), <pre> verbatim.
 * Headings are recorded in an outline with their offsets so chunks get heading paths.
 */
const SKIP = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'nav',
  'aside',
  'iframe',
  'button',
  'select',
  'head',
  'object',
]);
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'body',
  'blockquote',
  'ul',
  'ol',
  'dl',
  'dt',
  'dd',
  'figure',
  'figcaption',
  'header',
  'footer',
  'address',
  'hr',
  'form',
  'fieldset',
  'details',
  'summary',
  'center',
  'caption',
]);
const HEADING = /^h([1-6])$/;

interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
  getAttribute?(name: string): string | null;
}

class TextBuilder {
  text = '';
  outline: OutlineEntry[] = [];
  private inline = '';
  private pendingSeparator = '';
  /** A list marker waiting for the item's first block ("- " or "2. "). */
  prefix = '';

  append(fragment: string): void {
    this.inline += fragment;
  }

  /** Ends the current block; the next one is separated by `separator` ('\n\n' or '\n'). */
  flush(separator = '\n\n'): void {
    const block = this.inline
      .split('\n')
      .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
      .filter((line, i, all) => line !== '' || (i > 0 && all[i - 1] !== ''))
      .join('\n')
      .trim();
    this.inline = '';
    if (block) {
      this.writeBlock(this.prefix + block);
      this.prefix = '';
    }
    if (this.text) this.pendingSeparator = this.pendingSeparator === '\n\n' ? '\n\n' : separator;
  }

  /** Writes text as its own block without touching its whitespace; returns its offset. */
  writeBlock(block: string): number {
    if (this.text) this.text += this.pendingSeparator || '\n\n';
    this.pendingSeparator = '';
    const offset = this.text.length;
    this.text += block;
    return offset;
  }

  heading(level: number, title: string): void {
    this.flush();
    if (!title) return;
    const offset = this.writeBlock(title);
    this.outline.push({ offset, level, title });
    this.pendingSeparator = '\n\n';
  }
}

function collapse(text: string | null): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

function tableRows(table: DomNode): string[] {
  const rows: string[] = [];
  const visit = (node: DomNode) => {
    const name = node.nodeName.toLowerCase();
    if (name === 'tr') {
      const cells = Array.from(node.childNodes)
        .filter((c) => /^(td|th)$/i.test(c.nodeName))
        .map((c) => collapse(c.textContent))
        .filter(Boolean);
      if (cells.length > 0) rows.push(cells.join(' | '));
      return;
    }
    for (const child of Array.from(node.childNodes)) visit(child);
  };
  visit(table);
  return rows;
}

function walkChildren(node: DomNode, out: TextBuilder): void {
  for (const child of Array.from(node.childNodes)) walk(child, out);
}

function writePre(node: DomNode, out: TextBuilder): void {
  out.flush();
  const code = (node.textContent ?? '').replace(/^\n/, '').replace(/\s+$/, '');
  if (code) out.writeBlock(code);
  out.flush();
}

function writeTable(node: DomNode, out: TextBuilder): void {
  out.flush();
  for (const row of tableRows(node)) {
    out.append(row);
    out.flush('\n');
  }
  out.flush();
}

function writeList(node: DomNode, ordered: boolean, out: TextBuilder): void {
  out.flush();
  let number = 0;
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeName.toLowerCase() === 'li') {
      number++;
      out.flush('\n');
      out.prefix = ordered ? `${number}. ` : '- ';
    }
    walk(child, out);
  }
  out.prefix = '';
  out.flush();
}

function walkElement(node: DomNode, name: string, out: TextBuilder): void {
  const heading = HEADING.exec(name);
  if (heading) out.heading(Number(heading[1]), collapse(node.textContent));
  else if (name === 'pre') writePre(node, out);
  else if (name === 'table') writeTable(node, out);
  else if (name === 'br') out.append('\n');
  else if (name === 'ol' || name === 'ul') writeList(node, name === 'ol', out);
  else if (name === 'li' || name === 'tr') {
    walkChildren(node, out);
    out.flush('\n');
  } else {
    const block = BLOCK.has(name);
    if (block) out.flush();
    walkChildren(node, out);
    if (block) out.flush();
  }
}

function walk(node: DomNode, out: TextBuilder): void {
  if (node.nodeType === 3) out.append((node.textContent ?? '').replace(/\s+/g, ' '));
  if (node.nodeType !== 1) return;
  const name = node.nodeName.toLowerCase();
  if (!SKIP.has(name)) walkElement(node, name, out);
}

export function domToText(root: DomNode): { text: string; outline: OutlineEntry[] } {
  const out = new TextBuilder();
  walk(root, out);
  out.flush();
  return { text: out.text, outline: out.outline };
}
