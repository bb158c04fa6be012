import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerConsole } from './console-static';

describe('registerConsole', () => {
  let root: string;
  let fastify: FastifyInstance;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'console-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Astrix console</title>');
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
    fastify = Fastify();
    registerConsole(fastify, root);
    fastify.get('/v1/other', async () => ({ ok: true }));
    await fastify.ready();
  });
  afterAll(async () => {
    await fastify.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves built files, hashed assets cached for good', async () => {
    const asset = await fastify.inject({ method: 'GET', url: '/console/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log(1)');
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it("answers the app's own routes with index.html, and /console redirects to /console/", async () => {
    for (const url of ['/console/', '/console/customers/cust_1', '/console/payouts']) {
      const page = await fastify.inject({ method: 'GET', url });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('Astrix console');
    }
    const bare = await fastify.inject({ method: 'GET', url: '/console' });
    expect(bare.statusCode).toBe(302);
    expect(bare.headers.location).toBe('/console/');
    expect((await fastify.inject({ method: 'GET', url: '/v1/other' })).json()).toEqual({ ok: true });
  });

  it('says how to build the console when it is not built', async () => {
    const bare = Fastify();
    registerConsole(bare, join(root, 'missing'));
    const page = await bare.inject({ method: 'GET', url: '/console/' });
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('nx build @astrix/console');
    await bare.close();
  });
});
