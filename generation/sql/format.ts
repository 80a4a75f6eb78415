type Cell = string | number | null;

function cellText(value: Cell): string {
  if (value === null) return '';
  return String(value)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|');
}

/** A result as a Markdown table (what the CLI prints and an answer shows): the first `max` rows. */
export function resultTable(columns: string[], rows: Cell[][], max = 50): string {
  const shown = rows.slice(0, max);
  const lines = [`| ${columns.map((c) => cellText(c)).join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`];
  for (const row of shown) lines.push(`| ${row.map(cellText).join(' | ')} |`);
  if (rows.length > shown.length) lines.push(`… ${rows.length - shown.length} more rows`);
  return lines.join('\n');
}
