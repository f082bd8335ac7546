// Borderless, aligned columns like ps and pmap print, through text-table. (cli-table3 was tried
// first: it re-measures every cell per row and took 25 s for a 5,000-region `maps`.)
import textTable from 'text-table';

export interface Column<Row> {
  header: string;
  align?: 'left' | 'right';
  value(row: Row): string;
}

export function renderTable<Row>(columns: Column<Row>[], rows: Row[]): string {
  const cells: string[][] = [columns.map((c) => c.header)];
  for (const row of rows) cells.push(columns.map((c) => c.value(row)));
  return textTable(cells, {
    align: columns.map((c) => (c.align === 'left' ? 'l' : 'r')),
    hsep: '  ',
    // Our cells carry no colour codes; the default measures with a regex per cell.
    stringLength: (s: string) => s.length,
  })
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
