import type { ChatTurn } from '../../models/types.ts';
import type { DataTable } from '../../store/index.ts';

/** The tables as the generator sees them: name, columns with types and headers, row count. */
export function describeTables(tables: DataTable[]): string {
  return tables
    .map((t) => {
      const columns = t.columns.map((c) => `${c.name} ${c.type}${c.label !== c.name ? ` ("${c.label}")` : ''}`).join(', ');
      return `- ${t.name} (${t.rowCount} rows, from ${t.title}): ${columns}`;
    })
    .join('\n');
}

export function routePrompt(question: string, tables: DataTable[]): ChatTurn[] {
  return [
    {
      role: 'system',
      content:
        'Decide how to answer a question over a document collection that also has tables. ' +
        'Answer "sql" when it needs computing over table rows (totals, counts, averages, the largest, filtering rows), ' +
        '"passages" when it is about the text of the documents, "both" when it needs both. Reply with JSON {"route": …}.',
    },
    { role: 'user', content: `Tables:\n${describeTables(tables)}\n\nQuestion: ${question}` },
  ];
}

export function queryPrompt(question: string, tables: DataTable[], failed?: { query: string; error: string }): ChatTurn[] {
  const turns: ChatTurn[] = [
    {
      role: 'system',
      content:
        'Write one query that answers the question, as JSON: the table, the columns to select (with an aggregate or "none"), ' +
        'conditions (column, op, value as text), columns to group by, ordering, and a row limit. Use only the tables and columns listed.',
    },
    { role: 'user', content: `Tables:\n${describeTables(tables)}\n\nQuestion: ${question}` },
  ];
  if (failed) {
    turns.push({ role: 'assistant', content: failed.query });
    turns.push({ role: 'user', content: `That query failed: ${failed.error}\nWrite a corrected query.` });
  }
  return turns;
}
