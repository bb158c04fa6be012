#!/usr/bin/env node
// Generates the JSON Schema of every route's success response from the return type its controller
// method declares (`Promise<SubscriptionView>` → SubscriptionView's schema), into
// src/bootstrap/openapi/response-schemas.generated.json, which the OpenAPI post-processor reads.
// Run `pnpm openapi:write` after changing a route or a response type; a test fails while the
// generated file is stale (test/e2e/openapi-document.spec.ts).
const { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join, relative, resolve } = require('node:path');
const ts = require('typescript');
const { createGenerator } = require('ts-json-schema-generator');

const root = join(__dirname, '..');
const SOURCE = join(root, 'src');
const OUTPUT = join(root, 'src/bootstrap/openapi/response-schemas.generated.json');
/** Named types documents refer to without a controller method declaring them. */
const RAW_ROUTE_TYPES = { ErrorEnvelope: '@astrix/contracts', EntitlementCheckResponse: '@astrix/contracts' };
const HTTP_DECORATORS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'Sse']);
/** Return types that are not JSON bodies: what the route sends instead. */
const SPECIAL = {
  void: { kind: 'empty' },
  undefined: { kind: 'empty' },
  StreamableFile: { kind: 'binary' },
  string: { kind: 'text' },
  HealthCheckResult: { kind: 'documented' },
};

function sourceFiles(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

const decoratorName = (decorator) => {
  const call = decorator.expression;
  return ts.isCallExpression(call) ? call.expression.getText() : call.getText();
};

/** Where each imported name of a file comes from: name → absolute module path or package name. */
function importsOf(file, sourceFile) {
  const from = new Map();
  for (const statement of sourceFile.statements) {
    const exported = (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (exported && (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement))) {
      // A type the file declares itself (and exports, so the generated sources can import it).
      from.set(statement.name.text, { module: file.replace(/\.ts$/, ''), name: statement.name.text });
      continue;
    }
    if (!ts.isImportDeclaration(statement) || !statement.importClause) continue;
    const specifier = statement.moduleSpecifier.text;
    const module = specifier.startsWith('.') ? resolve(dirname(file), specifier) : specifier;
    const bindings = statement.importClause.namedBindings;
    if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) {
        from.set(element.name.text, { module, name: (element.propertyName ?? element.name).text });
      }
    }
  }
  return from;
}

/** The type names a type node mentions. */
function referencedNames(node, names = new Set()) {
  if (ts.isTypeReferenceNode(node)) names.add(node.typeName.getText().split('.')[0]);
  node.forEachChild((child) => {
    referencedNames(child, names);
  });
  return names;
}

/** Every routed controller method: operation id (Nest's default: Class_method) and its body type. */
function routes() {
  const found = [];
  for (const file of sourceFiles(SOURCE)) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('@Controller(')) continue;
    const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const imports = importsOf(file, sourceFile);
    for (const statement of sourceFile.statements) {
      if (!ts.isClassDeclaration(statement) || !statement.name) continue;
      if (!(ts.getDecorators(statement) ?? []).some((d) => decoratorName(d) === 'Controller')) continue;
      for (const member of statement.members) {
        if (!ts.isMethodDeclaration(member)) continue;
        if (!(ts.getDecorators(member) ?? []).some((d) => HTTP_DECORATORS.has(decoratorName(d)))) continue;
        const operationId = `${statement.name.text}_${member.name.getText()}`;
        if (!member.type) throw new Error(`${operationId} (${relative(root, file)}) declares no return type`);
        let type = member.type;
        if (ts.isTypeReferenceNode(type) && type.typeName.getText() === 'Promise' && type.typeArguments) {
          type = type.typeArguments[0];
        }
        // `Promise<X | undefined>` style unions of a body and nothing keep the body.
        const text = type.getText().replace(/\s+/g, ' ');
        found.push({ operationId, file, type, text, imports });
      }
    }
  }
  return found.sort((a, b) => a.operationId.localeCompare(b.operationId));
}

/** Component names OpenAPI accepts: `Page<SubscriptionView>` → `Page_SubscriptionView`. */
const componentName = (name) =>
  decodeURIComponent(name)
    .replace(/[<>,\s|&]+/g, '_')
    .replace(/[^A-Za-z0-9._-]/g, '')
    .replace(/_+$/, '');

const isNullType = (schema) => schema && schema.type === 'null' && Object.keys(schema).length === 1;

/**
 * A draft-07 schema from the generator as an OpenAPI 3.0 Schema Object: `#/definitions/X` refs
 * point at components, `type: [t, 'null']` and `anyOf: [..., {type: 'null'}]` become `nullable`,
 * `const` an enum of one.
 */
function toOpenApi(value) {
  if (Array.isArray(value)) return value.map(toOpenApi);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$schema' || key === 'definitions') continue;
    if (key === '$ref' && typeof item === 'string') {
      out.$ref = `#/components/schemas/${componentName(item.replace('#/definitions/', ''))}`;
    } else if (key === 'const') {
      out.enum = [item];
    } else if (key === 'type' && Array.isArray(item)) {
      const types = item.filter((type) => type !== 'null');
      if (types.length < item.length) out.nullable = true;
      if (types.length === 1) out.type = types[0];
      else out.anyOf = types.map((type) => ({ type }));
    } else if (key === 'anyOf' && Array.isArray(item) && item.some(isNullType)) {
      const rest = item.filter((schema) => !isNullType(schema)).map(toOpenApi);
      out.nullable = true;
      if (rest.length === 1 && rest[0].$ref) out.allOf = rest;
      else if (rest.length === 1) Object.assign(out, rest[0]);
      else out.anyOf = rest;
    } else {
      out[key] = toOpenApi(item);
    }
  }
  // A property's own keys win over those merged from a single nullable alternative.
  if (out.enum && out.enum.includes(null)) out.nullable = true;
  return out;
}

/**
 * JSON Schemas (OpenAPI 3.0 flavour) of TypeScript types as written in source files: each entry is
 * `{key, type (a type node), text, imports (name → {module, name}) of its file}`. Returns the schema
 * of each key and the named types they reference, as components.
 * @returns {{schemas: Record<string, object>, components: Record<string, object>}}
 */
function schemasOf(entries, extra = {}) {
  const scratch = mkdtempSync(join(root, '.openapi-'));
  try {
    const imports = new Map(Object.entries(extra).map(([name, module]) => [name, { module, name }]));
    const lines = Object.keys(extra).map((name) => `  ${name}: ${name};`);
    for (const entry of entries) {
      for (const name of referencedNames(entry.type)) {
        if (['Promise', 'Record', 'Partial', 'Pick', 'Omit', 'Array', 'Readonly', 'Extract'].includes(name)) {
          continue;
        }
        const origin = entry.imports.get(name);
        if (!origin) throw new Error(`${entry.key}: type ${name} is not imported by its file`);
        const module = origin.module.startsWith('/')
          ? `./${relative(scratch, origin.module).split('\\').join('/')}`
          : origin.module;
        const known = imports.get(name);
        if (known && (known.module !== module || known.name !== origin.name)) {
          throw new Error(`${entry.key}: two different types are called ${name}`);
        }
        imports.set(name, { module, name: origin.name });
      }
      lines.push(`  ${entry.key}: ${entry.text};`);
    }
    const source = [
      ...[...imports.entries()].map(
        ([local, { module, name }]) =>
          `import type { ${name === local ? name : `${name} as ${local}`} } from '${module}';`,
      ),
      'export interface OpenApiSources {',
      ...lines,
      '}',
      '',
    ].join('\n');
    const path = join(scratch, 'sources.ts');
    writeFileSync(path, source);
    const generator = createGenerator({
      path,
      tsconfig: join(root, 'tsconfig.json'),
      type: 'OpenApiSources',
      expose: 'export',
      topRef: false,
      additionalProperties: true,
      skipTypeCheck: true,
    });
    const schema = generator.createSchema('OpenApiSources');
    const schemas = {};
    for (const key of [...Object.keys(extra), ...entries.map((entry) => entry.key)]) {
      schemas[key] = toOpenApi(schema.properties[key]);
    }
    const components = {};
    for (const [name, definition] of Object.entries(schema.definitions ?? {}).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      components[componentName(name)] = toOpenApi(definition);
    }
    return { schemas, components };
  } finally {
    if (!process.env.OPENAPI_KEEP_SCRATCH) rmSync(scratch, { recursive: true, force: true });
  }
}

/** @returns {{operations: Record<string, object>, components: Record<string, object>}} */
function generateResponseSchemas() {
  const operations = {};
  const typed = [];
  for (const route of routes()) {
    const special = SPECIAL[route.text];
    if (special) operations[route.operationId] = special;
    else typed.push({ ...route, key: route.operationId });
  }
  // Shared as components: the error envelope every error response carries, and what the routes
  // Fastify serves directly answer with (they refer to it: documentRawRoute).
  const { schemas, components } = schemasOf(typed, RAW_ROUTE_TYPES);
  for (const route of typed)
    operations[route.operationId] = { kind: 'json', schema: schemas[route.operationId] };
  const sorted = Object.fromEntries(Object.entries(operations).sort(([a], [b]) => a.localeCompare(b)));
  return { operations: sorted, components };
}

const generatedText = () => `${JSON.stringify(generateResponseSchemas(), null, 2)}\n`;

if (require.main === module) {
  writeFileSync(OUTPUT, generatedText());
  console.log(`wrote ${relative(process.cwd(), OUTPUT)}`);
}
module.exports = { generateResponseSchemas, generatedText, importsOf, schemasOf, OUTPUT };
