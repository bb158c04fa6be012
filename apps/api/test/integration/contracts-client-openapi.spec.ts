import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const generator = require('../../scripts/openapi-responses.js') as {
  importsOf: (file: string, sourceFile: ts.SourceFile) => Map<string, { module: string; name: string }>;
  schemasOf: (
    entries: Array<{ key: string; type: ts.TypeNode; text: string; imports: Map<string, unknown> }>,
  ) => { schemas: Record<string, Schema>; components: Record<string, Schema> };
};

const ROOT = join(__dirname, '../../../..');
const CLIENT = join(ROOT, 'packages/contracts/src/client/index.ts');

type Schema = Record<string, unknown>;
interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  'x-astrix-access': Array<{ kind: string }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** Routes the web app and sibling services call that the client leaves out on purpose. */
const NOT_IN_CLIENT: Record<string, string> = {
  'GET /v1/billing/stream': 'Server-Sent Events: browsers use EventSource, not fetch',
};

interface ClientCall {
  method: string;
  /** `/v1/billing/subscriptions/{}`: every parameter is `{}`. */
  path: string;
  type: ts.TypeNode;
  text: string;
}

/** Each AstrixClient method: the route it calls (from the request in its body) and its declared result. */
function clientCalls(): Map<string, ClientCall> {
  const text = readFileSync(CLIENT, 'utf8');
  const sourceFile = ts.createSourceFile(CLIENT, text, ts.ScriptTarget.Latest, true);
  const calls = new Map<string, ClientCall>();
  const client = sourceFile.statements.find(
    (statement): statement is ts.ClassDeclaration =>
      ts.isClassDeclaration(statement) && statement.name?.text === 'AstrixClient',
  );
  for (const member of client?.members ?? []) {
    if (!ts.isMethodDeclaration(member) || !member.body || !member.type) continue;
    const name = member.name.getText();
    if (name === 'request' || name === 'moneyRequest') continue;
    let route: { method: string; path: string } | undefined;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && !route) {
        const callee = node.expression.getText();
        const literal = (argument: ts.Expression | undefined): string | undefined => {
          if (!argument) return undefined;
          if (ts.isStringLiteral(argument) || ts.isNoSubstitutionTemplateLiteral(argument))
            return argument.text;
          if (ts.isTemplateExpression(argument)) {
            return (
              argument.head.text + argument.templateSpans.map((span) => `{}${span.literal.text}`).join('')
            );
          }
          return undefined;
        };
        if (callee === 'this.request') {
          route = { method: literal(node.arguments[0]) ?? '?', path: literal(node.arguments[1]) ?? '?' };
        } else if (callee === 'this.moneyRequest') {
          route = { method: 'POST', path: literal(node.arguments[0]) ?? '?' };
        }
      }
      if (ts.isVariableDeclaration(node) && node.name.getText() === 'url' && node.initializer) {
        // getInvoicePdf: `${this.baseUrl}/v1/…` sent with send(…, 'GET', url, …).
        const url = node.initializer;
        if (ts.isTemplateExpression(url)) {
          const path = url.templateSpans
            .map((span, index) => (index === 0 ? span.literal.text : `{}${span.literal.text}`))
            .join('');
          route = { method: 'GET', path };
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(member.body);
    if (!route) throw new Error(`AstrixClient.${name} calls no route the test recognises`);
    let type: ts.TypeNode = member.type;
    if (ts.isTypeReferenceNode(type) && type.typeName.getText() === 'Promise' && type.typeArguments) {
      type = type.typeArguments[0];
    }
    calls.set(name, { ...route, type, text: type.getText() });
  }
  return calls;
}

/** A schema with every $ref inlined and descriptions dropped, to compare shapes across sources. */
function shape(schema: unknown, components: Record<string, Schema>, seen: string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((item) => shape(item, components, seen));
  if (schema === null || typeof schema !== 'object') return schema;
  const record = schema as Schema;
  if (typeof record.$ref === 'string') {
    const name = record.$ref.replace('#/components/schemas/', '');
    if (seen.includes(name)) return { recursive: name };
    return shape(components[name], components, [...seen, name]);
  }
  const normalized = (key: string, value: unknown): unknown => {
    if (key === 'required') return [...(value as string[])].sort();
    const shaped = shape(value, components, seen);
    // Alternatives in any order are the same union.
    if (key === 'anyOf' || key === 'oneOf')
      return (shaped as unknown[]).map((item) => JSON.stringify(item)).sort();
    return shaped;
  };
  // Keys in one order: two sources may write the same schema in another.
  return Object.fromEntries(
    Object.entries(record)
      .filter(([key]) => key !== 'description' && key !== 'example')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => [key, normalized(key, value)]),
  );
}

describe('@astrix/contracts AstrixClient against the OpenAPI document', () => {
  const document = JSON.parse(readFileSync(join(ROOT, 'docs/openapi.json'), 'utf8')) as Document;
  const operations = new Map<string, { route: string; operation: Operation }>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const key = `${method.toUpperCase()} ${path.replace(/\{\w+\}/g, '{}')}`;
      operations.set(key, { route: `${method.toUpperCase()} ${path}`, operation });
    }
  }
  const calls = clientCalls();

  it('calls only routes the API documents', () => {
    const unknown = [...calls].filter(([, call]) => !operations.has(`${call.method} ${call.path}`));
    expect(unknown.map(([name, call]) => `${name}: ${call.method} ${call.path}`)).toEqual([]);
  });

  it('covers every route the web app and sibling services call (all but staff and public ones)', () => {
    const called = new Set([...calls.values()].map((call) => `${call.method} ${call.path}`));
    const missing = [...operations]
      .filter(([, { route, operation }]) => {
        const path = route.split(' ')[1];
        const isPublic = operation['x-astrix-access'].some((rule) => rule.kind === 'public');
        return !path.startsWith('/v1/admin/') && !isPublic && !(route in NOT_IN_CLIENT);
      })
      .filter(([key]) => !called.has(key))
      .map(([, { route }]) => route);
    expect(missing).toEqual([]);
  });

  it("declares each method's result as the shape the route answers with", () => {
    const entries = [...calls].map(([key, call]) => ({
      key,
      type: call.type,
      text: call.text,
      imports: generator.importsOf(CLIENT, call.type.getSourceFile()),
    }));
    const generated = generator.schemasOf(
      entries.filter((entry) => !['void', 'ArrayBuffer'].includes(entry.text)),
    );
    const mismatches: string[] = [];
    for (const [name, call] of calls) {
      const { route, operation } = operations.get(`${call.method} ${call.path}`)!;
      const success = Object.keys(operation.responses).find((code) => code.startsWith('2'))!;
      const content = operation.responses[success].content;
      if (call.text === 'void') {
        if (content) mismatches.push(`${name} (${route}): declared void, the route answers a body`);
        continue;
      }
      if (call.text === 'ArrayBuffer') {
        if (!content?.['application/pdf'])
          mismatches.push(`${name} (${route}): binary, the route answers JSON`);
        continue;
      }
      const documented = shape(content?.['application/json']?.schema, document.components.schemas);
      const declared = shape(generated.schemas[name], generated.components);
      if (JSON.stringify(documented) !== JSON.stringify(declared)) {
        mismatches.push(`${name} (${route}): ${call.text} is not what the route answers`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 120_000);
});
