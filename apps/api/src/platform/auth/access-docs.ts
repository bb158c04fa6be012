import type { AccessRule } from './access.decorators';

/** OpenAPI security scheme names, declared by the document builder (bootstrap/openapi). */
export const SECURITY_SCHEMES = {
  userJwt: 'userJwt',
  apiKey: 'apiKey',
  apiKeyHeader: 'apiKeyHeader',
  streamToken: 'streamToken',
} as const;

/** Operation extension carrying the route's access rules as declared (`@Roles`, `@Scopes`, …). */
export const ACCESS_EXTENSION = 'x-astrix-access';

export interface AccessDocs {
  security: Array<Record<string, string[]>>;
  /** One sentence for the operation description: who may call it. */
  sentence: string;
}

/**
 * The OpenAPI `security` of a route from the access rules its decorators declare: user and staff
 * JWTs are bearer tokens (roles in the token's `roles` claim), sibling services present API keys as
 * a bearer token or in `X-Api-Key` (scopes held by the key). OpenAPI 3.0 lets only OAuth schemes
 * list scopes in a requirement, so the roles and scopes are in the sentence and in `x-astrix-access`.
 */
export function accessDocs(rules: readonly AccessRule[]): AccessDocs {
  if (rules.length === 0) return { security: [], sentence: 'Closed: this route declares no access rule.' };
  if (rules.some((rule) => rule.kind === 'public')) {
    return { security: [], sentence: 'Public: no credentials.' };
  }
  const security: Array<Record<string, string[]>> = [];
  const parts: string[] = [];
  const add = (scheme: string): void => {
    if (!security.some((requirement) => scheme in requirement)) security.push({ [scheme]: [] });
  };
  for (const rule of rules) {
    switch (rule.kind) {
      case 'user':
        add(SECURITY_SCHEMES.userJwt);
        parts.push('any signed-in user (user JWT)');
        break;
      case 'roles':
        add(SECURITY_SCHEMES.userJwt);
        parts.push(`staff JWT with role ${[...rule.roles, 'admin'].filter(unique).join(' or ')}`);
        break;
      case 'scopes':
        add(SECURITY_SCHEMES.apiKey);
        add(SECURITY_SCHEMES.apiKeyHeader);
        parts.push(
          rule.scopes.length === 0
            ? 'any service API key'
            : `service API key with scope ${rule.scopes.join(' and ')}`,
        );
        break;
      case 'streamToken':
        add(SECURITY_SCHEMES.streamToken);
        parts.push('a stream token in ?token= (POST /v1/billing/stream-tokens), for EventSource');
        break;
      case 'public':
        break;
      default: {
        const never: never = rule;
        throw new Error(`unknown access rule ${JSON.stringify(never)}`);
      }
    }
  }
  return { security, sentence: `Access: ${parts.join('; or ')}.` };
}

function unique<T>(value: T, index: number, all: T[]): boolean {
  return all.indexOf(value) === index;
}
