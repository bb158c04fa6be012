import { Writable } from 'node:stream';
import { DynamicModule, Module } from '@nestjs/common';
import { LOG_DESTINATION } from '../../src/platform/logging/log-destination';

@Module({})
class LogCaptureModule {}

/** The app's log lines, as written: pass `module` in a test app's imports, then read `lines`. */
export function captureLogs(): { lines: string[]; module: DynamicModule } {
  const lines: string[] = [];
  const capture = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return {
    lines,
    module: {
      module: LogCaptureModule,
      global: true,
      providers: [{ provide: LOG_DESTINATION, useValue: capture }],
      exports: [LOG_DESTINATION],
    },
  };
}
