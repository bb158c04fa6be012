// The machine's ceiling for comparison: Fastify alone answering a check-sized JSON body, no framework,
// no auth, no database. Started by run.mjs as a child process on the given port.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root } from '../lib/api-server.mjs';

const require = createRequire(join(root, 'apps/api/package.json'));
const fastify = require('fastify')({ logger: false });
fastify.post('/check', async (request) => ({
  allowed: true,
  reason: 'granted',
  customerId: request.body.customerId,
  featureId: request.body.featureId,
}));
await fastify.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
console.log('listening');
