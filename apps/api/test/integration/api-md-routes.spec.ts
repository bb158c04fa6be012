import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../../..');
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** `METHOD /path` of every operation in the committed OpenAPI document, `:param` style. */
function documentedRoutes(): string[] {
  const document = JSON.parse(readFileSync(join(ROOT, 'docs/openapi.json'), 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((method) => METHODS.includes(method.toUpperCase()))
      .map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
}

/**
 * Routes named in the first column of docs/api.md's tables: `GET /a/:id`, `GET/PATCH /a/:id`, and
 * the shorthand `…/rest` (a path ending like the previous one, the part before `…` taken from it).
 */
function routesInApiMd(known: Set<string>): Set<string> {
  const found = new Set<string>();
  let previous = '';
  for (const line of readFileSync(join(ROOT, 'docs/api.md'), 'utf8').split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cell = line.split(' | ')[0];
    let methods: string[] = [];
    for (const [, code] of cell.matchAll(/`([^`]+)`/g)) {
      const match = /^(?:([A-Z]+(?:\/[A-Z]+)*) )?(\/\S*|…\/\S*)/.exec(code);
      if (!match) continue;
      if (match[1]) methods = match[1].split('/');
      const path = match[2].split('?')[0];
      const candidates = path.startsWith('…/')
        ? prefixes(previous).map((prefix) => `${prefix}${path.slice(1)}`)
        : [path];
      for (const method of methods) {
        const route = candidates.map((candidate) => `${method} ${candidate}`).find((r) => known.has(r));
        found.add(route ?? `${method} ${candidates[0]}`);
      }
      if (!path.startsWith('…/')) previous = path;
      else {
        const resolved = candidates.find((candidate) => methods.some((m) => known.has(`${m} ${candidate}`)));
        if (resolved) previous = resolved;
      }
    }
  }
  return found;
}

/** `/a/b/c` → `/a/b/c`, `/a/b`, `/a`, `` (longest first). */
function prefixes(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, index) => parts.slice(0, parts.length - index).join('/'));
}

describe('docs/api.md', () => {
  it('lists every route of the OpenAPI document', () => {
    const documented = documentedRoutes();
    const listed = routesInApiMd(new Set(documented));
    expect(documented.filter((route) => !listed.has(route))).toEqual([]);
  });
});
