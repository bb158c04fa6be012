// The built API's Nest application context (no HTTP, no workers) for in-process benchmarks: services
// are built by Nest with their real dependencies, so a bench survives files moving and constructors
// changing. Look services up by class name; only the app module's path is fixed.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root } from './api-server.mjs';

/**
 * @param {{ env: Record<string, string>, onFailure?: () => void }} options the bench's environment
 *   (DATABASE_URL, QUEUE_PREFIX…), applied to this process before the app reads its configuration;
 *   onFailure cleans up (drops the bench database) when the app cannot start.
 */
export async function startAppContext({ env, onFailure = () => {} }) {
  Object.assign(process.env, env);
  const require = createRequire(join(root, 'apps/api/package.json'));
  require('reflect-metadata');
  const { NestFactory, ModulesContainer } = require('@nestjs/core');
  const { DataSource } = require('typeorm');
  const { AppModule } = require(join(root, 'apps/api/dist/bootstrap/app.module.js'));
  let app;
  try {
    app = await NestFactory.createApplicationContext(AppModule.forRoot({ workers: false }), {
      logger: ['error', 'warn'],
      abortOnError: false,
    });
    await app.init();
  } catch (error) {
    onFailure();
    throw error;
  }
  const modules = app.get(ModulesContainer);
  /** The app's instance of the provider class named `name`, wherever its file lives. */
  const service = (name) => {
    for (const module of modules.values()) {
      for (const wrapper of module.providers.values()) {
        if (typeof wrapper.metatype === 'function' && wrapper.metatype.name === name && wrapper.instance) {
          return wrapper.instance;
        }
      }
    }
    throw new Error(`no provider named ${name} in the app: was it renamed?`);
  };
  return { app, require, service, dataSource: app.get(DataSource) };
}
