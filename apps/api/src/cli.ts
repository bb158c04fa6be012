import './platform/compile-cache';
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './bootstrap/cli.module';
import { validateEnvironment } from './platform/config/environment';
import { runMain } from './platform/run-main';

runMain(async () => {
  // Before Nest: with its logger off, a configuration error would end the process without a word.
  validateEnvironment(process.env);
  await CommandFactory.run(CliModule, {
    logger: false,
    serviceErrorHandler: (error: Error) => {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 1;
    },
  });
});
