import { Logger as NestLogger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';
import { serializeError } from './redaction';

/**
 * TypeORM's logger. TypeORM's own loggers print a failing query with its parameters (emails, card
 * fingerprints, tokens); this one prints the SQL with its placeholders and the error without
 * quoted input, never the parameters, at debug level (the error itself reaches the log once, where
 * it is handled). Everything else TypeORM would log stays off, as with `logging: false`.
 */
export class QueryLogger implements TypeOrmLogger {
  private readonly logger = new NestLogger('Database');

  logQueryError(error: string | Error, query: string): void {
    // String(): a prepared query (platform/database/prepared-query.ts) is an object carrying its parameters.
    this.logger.debug({ err: serializeError(error), query: String(query) }, 'query failed');
  }

  logQuery(): void {}

  logQuerySlow(): void {}

  logSchemaBuild(): void {}

  logMigration(): void {}

  log(): void {}
}
