export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface Route<THandler> {
  method: HttpMethod;
  pattern: RegExp;
  paramNames: string[];
  handler: THandler;
}

export interface RouteMatch<THandler> {
  handler: THandler;
  params: Record<string, string>;
}

/** Method + path routing with `:name` segments. */
export class Router<THandler> {
  private readonly routes: Route<THandler>[] = [];

  on(method: HttpMethod, path: string, handler: THandler): this {
    const paramNames: string[] = [];
    const pattern = path.replace(/:([a-zA-Z]+)/g, (_segment, name: string) => {
      paramNames.push(name);
      return '([^/]+)';
    });
    this.routes.push({ method, pattern: new RegExp(`^${pattern}$`), paramNames, handler });
    return this;
  }

  match(method: string, path: string): RouteMatch<THandler> | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(path);
      if (match === null) continue;
      const params: Record<string, string> = {};
      route.paramNames.forEach((name, index) => {
        params[name] = decodeURIComponent(match[index + 1] ?? '');
      });
      return { handler: route.handler, params };
    }
    return undefined;
  }
}
