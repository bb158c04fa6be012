import { Global, Logger, Module } from '@nestjs/common';
import { AppConfig } from './app-config';
import { validateEnvironment } from './environment';
import { insecureDefaultsWarning } from './insecure-defaults-warning';

function loadConfig(): AppConfig {
  const environment = validateEnvironment(process.env);
  const warning = insecureDefaultsWarning(environment);
  if (warning) new Logger('Config').warn(warning);
  return new AppConfig(environment);
}

@Global()
@Module({
  providers: [{ provide: AppConfig, useFactory: loadConfig }],
  exports: [AppConfig],
})
export class ConfigModule {}
