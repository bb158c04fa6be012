import type { OpenAPIObject } from '@nestjs/swagger';

type PathItem = OpenAPIObject['paths'][string];

const documented = new Map<string, PathItem>();

/**
 * OpenAPI for a route served by Fastify directly, outside Nest's router, which Swagger cannot see.
 * Called where the route is defined, at load time, so the document built at start-up includes it.
 */
export function documentRawRoute(path: string, item: PathItem): void {
  documented.set(path, { ...documented.get(path), ...item });
}

/** Adds every documented raw route to a document built by SwaggerModule. */
export function withRawRoutes(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of documented) document.paths[path] = { ...document.paths[path], ...item };
  return document;
}
