import { createInterface } from 'node:readline/promises';

/** Destructive commands ask first; without a terminal to ask on, only --yes lets them through. */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw new Error(`${question}: refusing without confirmation; pass --yes`);
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new Error('cancelled');
  } finally {
    prompt.close();
  }
}

export type Row = Record<string, string | number | boolean | null | undefined>;

/** Rows as an aligned table (or `--json`, the full objects). */
export function print(json: boolean | undefined, value: unknown, rows: Row[], columns: string[]): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (value: Row[string]) => (value === null || value === undefined ? '-' : String(value));
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell(row[column]).length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index]))
      .join('  ')
      .trimEnd();
  process.stdout.write(
    `${[line(columns.map((column) => column.toUpperCase())), ...rows.map((row) => line(columns.map((column) => cell(row[column]))))].join('\n')}\n`,
  );
}
