// The floor of the HTTP stack the checks' own port runs on: node:http alone answering a check-sized
// JSON body (the body read, parsed and answered as JSON), no framework, no auth, no database.
// Started by run.mjs as a child process on the given port.
import { createServer } from 'node:http';

const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const payload = JSON.stringify({
      allowed: true,
      reason: 'granted',
      customerId: body.customerId,
      featureId: body.featureId,
    });
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
    });
    response.end(payload);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
