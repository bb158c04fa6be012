import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  rawBody: string;
  signature: string | undefined;
}

/** A tiny HTTP endpoint that records webhooks exactly as they arrived, for tests. */
export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** Answer the next requests with these statuses (then 200 again), e.g. to make deliveries fail. */
  failNext(...statuses: number[]): void;
  clear(): void;
  close(): Promise<void>;
}

async function readRawBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const plannedStatuses: number[] = [];
  const server = createServer((request, response) => {
    readRawBody(request)
      .then((rawBody) => {
        const status = plannedStatuses.shift() ?? 200;
        if (status === 200) {
          const signature = request.headers['stripe-signature'];
          received.push({ rawBody, signature: Array.isArray(signature) ? signature[0] : signature });
        }
        response.writeHead(status).end();
      })
      .catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/stripe`,
    received,
    failNext: (...statuses) => plannedStatuses.push(...statuses),
    clear: () => {
      received.length = 0;
      plannedStatuses.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
