import type { OpenAPIObject } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { AccessRule } from '../../platform/auth/access.decorators';
import { ACCESS_EXTENSION, accessDocs, SECURITY_SCHEMES } from '../../platform/auth/access-docs';
import type { RouteFacts } from './route-facts';

/** What scripts/openapi-responses.js derives from each controller method's declared return type. */
export type GeneratedResponse =
  | { kind: 'json'; schema: SchemaObject | ReferenceObject }
  | { kind: 'empty' | 'binary' | 'text' | 'documented' };

export interface GeneratedResponses {
  operations: Record<string, GeneratedResponse>;
  components: Record<string, SchemaObject>;
}

const ERROR_ENVELOPE = 'ErrorEnvelope';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const WRITES = new Set<string>(['post', 'put', 'patch', 'delete']);

/** The error responses shared by every operation (components.responses), each the one error envelope. */
const ERROR_RESPONSES: Record<string, { name: string; description: string }> = {
  '400': {
    name: 'BadRequest',
    description: 'Bad input: VALIDATION_ERROR with a detail per field, BAD_REQUEST, IDEMPOTENCY_KEY_REQUIRED',
  },
  '401': { name: 'Unauthenticated', description: 'No or bad credentials: UNAUTHENTICATED' },
  '403': {
    name: 'Forbidden',
    description: 'The credentials do not grant this route (role or scope missing): FORBIDDEN',
  },
  '404': { name: 'NotFound', description: 'No such resource, or not yours: NOT_FOUND' },
  '409': {
    name: 'Conflict',
    description:
      'The resource is not in a state that allows this (CONFLICT or a specific code), or the Idempotency-Key is in use by a request still running (IDEMPOTENCY_KEY_IN_USE)',
  },
  '413': { name: 'PayloadTooLarge', description: 'The body is larger than the limit: PAYLOAD_TOO_LARGE' },
  '415': { name: 'UnsupportedMediaType', description: 'The body is not JSON: UNSUPPORTED_MEDIA_TYPE' },
  '422': {
    name: 'Unprocessable',
    description:
      'Well-formed but refused by a business rule (UNPROCESSABLE or a specific code), or the Idempotency-Key was used with another body (IDEMPOTENCY_KEY_REUSED)',
  },
  '429': {
    name: 'RateLimited',
    description: 'Too many requests from this caller: RATE_LIMITED (see Retry-After)',
  },
};

const ENVELOPE_CONTENT = {
  'application/json': { schema: { $ref: `#/components/schemas/${ERROR_ENVELOPE}` } },
};

const SUCCESS_DESCRIPTIONS: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted: the work continues in the background',
  '204': 'No content',
};

const idempotencyKey = (required: boolean): ParameterObject => ({
  name: 'Idempotency-Key',
  in: 'header',
  required,
  description: required
    ? 'Required: 1-255 printable ASCII characters, unique per intended operation (e.g. a UUID). A retry with the same key and body returns the first response without repeating it.'
    : 'Optional: 1-255 printable ASCII characters. A retry with the same key and body returns the first response without repeating it; another body with the same key gets 422, a retry while the first is still running 409.',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' },
});

const isReference = (value: unknown): value is ReferenceObject =>
  typeof value === 'object' && value !== null && '$ref' in value;

/**
 * Completes the document Nest Swagger builds from decorators: the success schema of every route
 * (from its declared return type), the error envelope on every error response, `Idempotency-Key`
 * where the interceptor reads it, and the security each route's access decorators declare.
 */
export function enrichDocument(
  document: OpenAPIObject,
  facts: ReadonlyMap<string, RouteFacts>,
  generated: GeneratedResponses,
): OpenAPIObject {
  const components = document.components ?? {};
  document.components = components;
  components.schemas = { ...generated.components, ...components.schemas };
  components.responses = {
    ...components.responses,
    ...Object.fromEntries(
      Object.values(ERROR_RESPONSES).map(({ name, description }) => [
        name,
        { description, content: ENVELOPE_CONTENT },
      ]),
    ),
  };
  components.securitySchemes = {
    [SECURITY_SCHEMES.userJwt]: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'A user or staff JWT from the identity service; staff roles (support, finance, admin) in its `roles` claim.',
    },
    [SECURITY_SCHEMES.apiKey]: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'ak_live_… / ak_test_…',
      description:
        'A sibling service API key as the bearer token; the scopes it holds are set when it is issued.',
    },
    [SECURITY_SCHEMES.apiKeyHeader]: {
      type: 'apiKey',
      in: 'header',
      name: 'X-Api-Key',
      description: 'The same API key in the X-Api-Key header instead.',
    },
    [SECURITY_SCHEMES.streamToken]: {
      type: 'apiKey',
      in: 'query',
      name: 'token',
      description:
        'A short-lived stream token (`sst_…`) from POST /v1/billing/stream-tokens, for EventSource, which cannot send Authorization; accepted on GET /v1/billing/stream only.',
    },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) enrichOperation(path, method, operation, facts, generated);
    }
  }
  return document;
}

function enrichOperation(
  path: string,
  method: (typeof METHODS)[number],
  operation: OperationObject,
  facts: ReadonlyMap<string, RouteFacts>,
  generated: GeneratedResponses,
): void {
  const extended = operation as OperationObject & Record<string, unknown>;
  const routed = operation.operationId ? facts.get(operation.operationId) : undefined;
  // A route served by Fastify directly declares its rules itself (documentRawRoute).
  const rules = routed?.access ?? (extended[ACCESS_EXTENSION] as AccessRule[] | undefined) ?? [];
  const isPublic = rules.some((rule) => rule.kind === 'public');
  const access = accessDocs(rules);
  operation.security = access.security;
  extended[ACCESS_EXTENSION] = rules;
  operation.description = [operation.description, access.sentence].filter(Boolean).join('\n\n');

  // Idempotency-Key: read by the interceptor on every authenticated POST routed through Nest.
  if (routed && method === 'post' && !isPublic) {
    const others = (operation.parameters ?? []).filter(
      (parameter) => isReference(parameter) || parameter.name.toLowerCase() !== 'idempotency-key',
    );
    operation.parameters = [...others, idempotencyKey(routed.requiresIdempotencyKey)];
  }

  const responses = operation.responses;
  const success = Object.keys(responses).find((code) => code.startsWith('2')) ?? '200';
  const answer = (responses[success] ?? { description: '' }) as ResponseObject;
  if (!answer.description) answer.description = SUCCESS_DESCRIPTIONS[success] ?? 'OK';
  const body = operation.operationId ? generated.operations[operation.operationId] : undefined;
  if (body && !answer.content) {
    switch (body.kind) {
      case 'json':
        answer.content = { 'application/json': { schema: body.schema } };
        break;
      case 'binary':
        answer.content = { 'application/pdf': { schema: { type: 'string', format: 'binary' } } };
        break;
      case 'text':
        answer.content = { 'text/html': { schema: { type: 'string' } } };
        break;
      case 'empty':
        // A handler that writes its own body (Server-Sent Events) says what with @ApiProduces.
        for (const mediaType of routed?.produces ?? []) {
          answer.content = { ...(answer.content ?? {}), [mediaType]: { schema: { type: 'string' } } };
        }
        break;
      case 'documented':
        break;
      default: {
        const never: never = body;
        throw new Error(`unknown response kind ${JSON.stringify(never)}`);
      }
    }
  }
  responses[success] = answer;

  const hasInput =
    (operation.parameters ?? []).length > 0 || operation.requestBody !== undefined || path.includes('{');
  const codes = [
    ...(hasInput ? ['400'] : []),
    ...(isPublic ? [] : ['401', '403']),
    ...(path.includes('{') ? ['404'] : []),
    ...(WRITES.has(method) && !isPublic ? ['409', '422'] : []),
    ...(operation.requestBody ? ['413', '415'] : []),
    ...(routed && !routed.unthrottled ? ['429'] : []),
  ];
  for (const code of codes) {
    const existing = responses[code];
    if (existing && !isReference(existing)) {
      // A route's own wording is kept; the body is the envelope all the same.
      existing.content ??= ENVELOPE_CONTENT;
      continue;
    }
    responses[code] = { $ref: `#/components/responses/${ERROR_RESPONSES[code].name}` };
  }
  operation.responses = Object.fromEntries(
    Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)),
  ) as OperationObject['responses'];
}
