import { RequestMethod } from '@nestjs/common';
import { API_KEY_SCOPES } from '@astrix/contracts';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { ACCESS_METADATA, AccessRule } from '../../src/platform/auth/access.decorators';
import { startTestApp, TestApp } from '../support/test-app';

interface Route {
  method: string;
  path: string;
  rules: AccessRule[] | undefined;
}

/** Every route of the real app, with the access rule it declares (handler first, then controller). */
function collectRoutes(t: TestApp): Route[] {
  const discovery = t.app.get(DiscoveryService);
  const scanner = t.app.get(MetadataScanner);
  return discovery.getControllers().flatMap((wrapper) => {
    const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
    if (!controller) return [];
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    return scanner.getAllMethodNames(controller.prototype).flatMap((name) => {
      const handler = (controller.prototype as Record<string, unknown>)[name] as object;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined) return [];
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const rules = (Reflect.getMetadata(ACCESS_METADATA, handler) ??
        Reflect.getMetadata(ACCESS_METADATA, controller)) as AccessRule[] | undefined;
      return [{ method, path: `/${[base, path].filter((part) => part && part !== '/').join('/')}`, rules }];
    });
  });
}

describe('every route declares who may call it', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('finds the routes of the app', () => {
    const routes = collectRoutes(t);
    expect(routes.map((route) => `${route.method} ${route.path}`)).toEqual(
      expect.arrayContaining(['GET /health/ready', 'POST /v1/admin/api-keys', 'GET /v1/me']),
    );
  });

  it('has no route without an access rule', () => {
    const undeclared = collectRoutes(t).filter((route) => !route.rules || route.rules.length === 0);
    expect(undeclared.map((route) => `${route.method} ${route.path}`)).toEqual([]);
  });

  it('keeps public only health, the payment return pages, the signed Stripe webhook, signed invoice links and the sandbox sign-in', () => {
    const publicRoutes = collectRoutes(t).filter((route) =>
      route.rules?.some((rule) => rule.kind === 'public'),
    );
    expect(publicRoutes.map((route) => `${route.method} ${route.path}`).sort()).toEqual([
      'GET /checkout/cancel',
      'GET /checkout/success',
      'GET /health/live',
      'GET /health/ready',
      // Answers 404 outside the sandbox/dev opt-in (test/e2e/console-sign-in.spec.ts).
      'GET /v1/auth/dev-token',
      // The signed, expiring link is the credential (test/e2e/hosted-invoices.spec.ts).
      'GET /v1/hosted/invoices/:id',
      'GET /v1/hosted/invoices/:id/pdf',
      'POST /v1/auth/dev-token',
      'POST /webhooks/stripe',
    ]);
  });

  it('issues only API key scopes some route accepts, and no route asks for a scope that cannot be issued', () => {
    const routesByScope = new Map<string, string[]>();
    for (const route of collectRoutes(t)) {
      for (const rule of route.rules ?? []) {
        if (rule.kind !== 'scopes') continue;
        for (const scope of rule.scopes) {
          routesByScope.set(scope, [...(routesByScope.get(scope) ?? []), `${route.method} ${route.path}`]);
        }
      }
    }
    expect(API_KEY_SCOPES.filter((scope) => !routesByScope.has(scope))).toEqual([]);
    expect(
      [...routesByScope.keys()].filter((scope) => !(API_KEY_SCOPES as readonly string[]).includes(scope)),
    ).toEqual([]);
  });

  it('refuses every non-public route without credentials (401), with the error envelope', async () => {
    const guarded = collectRoutes(t).filter((route) => !route.rules?.some((rule) => rule.kind === 'public'));
    expect(guarded.length).toBeGreaterThan(0);
    for (const route of guarded) {
      const url = route.path.replace(/:(\w+)/g, 'key_01jzzzzzzzzzzzzzzzzzzzzzzz');
      const response = await t.inject({ method: route.method as 'GET', url });
      expect({ route: `${route.method} ${url}`, status: response.statusCode }).toEqual({
        route: `${route.method} ${url}`,
        status: 401,
      });
      expect(response.json().error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses every admin route to a trader token and to an API key (403)', async () => {
    const created = await t.inject({
      method: 'POST',
      url: '/v1/admin/api-keys',
      headers: t.as({ roles: ['admin'] }),
      payload: {
        name: 'walker',
        // Every scope there is: admin routes must still refuse it.
        scopes: [...API_KEY_SCOPES],
      },
    });
    const apiKey = created.json().key as string;
    const adminRoutes = collectRoutes(t).filter((route) => route.path.startsWith('/v1/admin'));
    expect(adminRoutes.length).toBeGreaterThan(0);
    for (const route of adminRoutes) {
      const url = route.path.replace(/:(\w+)/g, 'key_01jzzzzzzzzzzzzzzzzzzzzzzz');
      for (const headers of [t.as({ roles: ['trader'] }), { authorization: `Bearer ${apiKey}` }]) {
        const response = await t.inject({ method: route.method as 'GET', url, headers });
        expect({ route: `${route.method} ${url}`, status: response.statusCode }).toEqual({
          route: `${route.method} ${url}`,
          status: 403,
        });
      }
    }
  });
});
