// Borderless, aligned columns like ps and pmap print, through cli-table3.
import Table from 'cli-table3';

export interface Column<Row> {
  header: string;
  align?: 'left' | 'right';
  value(row: Row): string;
}

const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

export function renderTable<Row>(columns: Column<Row>[], rows: Row[]): string {
  const table = new Table({
    head: columns.map((c) => c.header),
    chars: NO_BORDERS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    colAligns: columns.map((c) => c.align ?? 'right'),
    wordWrap: false,
  });
  for (const row of rows) table.push(columns.map((c) => c.value(row)));
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
