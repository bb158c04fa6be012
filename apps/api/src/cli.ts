import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './bootstrap/cli.module';
import { runMain } from './platform/run-main';

runMain(async () => {
  await CommandFactory.run(CliModule, {
    logger: false,
    serviceErrorHandler: (error: Error) => {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 1;
    },
  });
});
