import { Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';
import { validateEnvironment } from './environment';

@Global()
@Module({
  providers: [{ provide: AppConfig, useFactory: () => new AppConfig(validateEnvironment(process.env)) }],
  exports: [AppConfig],
})
export class ConfigModule {}
