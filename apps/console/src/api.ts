import { useMutation, useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useSignedIn } from './session';

/** An answer in the API's error envelope, or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  idempotencyKey?: string;
}

export async function apiRequest<T>(
  token: string | null,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const json: unknown = text ? safeJson(text) : null;
  if (!response.ok) throw errorOf(response, text);
  return json as T;
}

/** The API's error envelope (or what came instead) as an ApiError. */
function errorOf(response: Response, text: string): ApiError {
  const envelope = (safeJson(text) as { error?: { code?: string; message?: string } } | null)?.error;
  return new ApiError(
    response.status,
    envelope?.code ?? `HTTP_${response.status}`,
    envelope?.message ?? (text.slice(0, 200) || response.statusText),
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Downloads a CSV the API answers to `Accept: text/csv` (the browser saves it under the API's filename). */
export function downloadCsv(token: string, path: string, fallbackName: string): Promise<void> {
  return downloadFile(token, path, 'text/csv', fallbackName);
}

/**
 * Downloads a document the API answers with (a PDF, a CSV) under the API's filename. An error
 * answer is the API's JSON envelope: its message is thrown, as for every other request.
 */
export async function downloadFile(
  token: string,
  path: string,
  accept: string,
  fallbackName: string,
): Promise<void> {
  const response = await fetch(path, { headers: { accept, authorization: `Bearer ${token}` } });
  if (!response.ok) throw errorOf(response, await response.text());
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  URL.revokeObjectURL(url);
}

/** A GET of the admin API with the signed-in token; the path is the query key. */
export function useApi<T>(path: string | null): UseQueryResult<T, Error> {
  const session = useSignedIn();
  return useQuery<T, Error>({
    queryKey: [path],
    queryFn: () => apiRequest<T>(session.token, path ?? ''),
    enabled: path !== null,
  });
}

/** A POST (or other change) that refreshes every query afterwards. */
export function useApiMutation<T>() {
  const session = useSignedIn();
  const client = useQueryClient();
  return useMutation<T, Error, { path: string } & RequestOptions>({
    mutationFn: ({ path, ...options }) => apiRequest<T>(session.token, path, { method: 'POST', ...options }),
    onSuccess: () => client.invalidateQueries(),
  });
}

/** One key per click: a retried submit of the same dialog reuses it, a new click gets a new one. */
export function newIdempotencyKey(): string {
  return `console-${crypto.randomUUID()}`;
}
