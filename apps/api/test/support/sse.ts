import { get, IncomingMessage } from 'node:http';

export interface SseEvent {
  id: string;
  type: string;
  data: { id: string; subject: string; sequence: number; data: Record<string, unknown> };
}

/** A real HTTP client reading a Server-Sent Events stream; `events` fills as they arrive. */
export function openStream(
  url: string,
  headers: Record<string, string>,
): Promise<{ events: SseEvent[]; response: IncomingMessage; close(): void }> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const request = get(url, { headers }, (response) => {
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((line) => line && !line.startsWith(':'))
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
          );
          if (fields.data) events.push({ id: fields.id, type: fields.event, data: JSON.parse(fields.data) });
        }
      });
      resolve({ events, response, close: () => request.destroy() });
    });
    request.on('error', reject);
  });
}
