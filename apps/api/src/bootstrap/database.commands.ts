import { InjectDataSource } from '@nestjs/typeorm';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import { DataSource } from 'typeorm';
import type { PriceView } from '@astrix/contracts';
import { money, parseCurrencyCode, toDecimalString } from '@astrix/pricing';
import { CatalogService } from '../modules/billing/catalog/catalog.service';
import { Journal, LedgerBackfill, LedgerPostings, RevenueSchedules } from '../modules/billing';
import { PayoutJournalBackfill } from '../modules/payouts';
import type { RequestContext } from '../platform/auth/actor';
import { AppConfig } from '../platform/config/app-config';
import { ensureDatabaseExists } from '../platform/database/ensure-database';
import { withMigrationLock } from '../platform/database/migration-lock';
import { migrateAsOwner } from './owner-migrations';

@SubCommand({ name: 'migrate', description: 'Create the database if missing and apply pending migrations' })
export class MigrateCommand extends CommandRunner {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async run(): Promise<void> {
    const created = await ensureDatabaseExists(this.config.databaseMigrationUrl);
    if (created) process.stdout.write('created database\n');
    // Replicas starting together: one migrates, the others wait for the lock and find none pending.
    await withMigrationLock(
      this.config.databaseMigrationUrl,
      () => this.migrate(),
      () => process.stdout.write('waiting for another db migrate to finish\n'),
    );
  }

  private async migrate(): Promise<void> {
    // Two roles: the owner migrates and grants first; the app role below then finds none pending.
    await migrateAsOwner(this.config);
    if (!this.dataSource.isInitialized) await this.dataSource.initialize();
    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    process.stdout.write(
      applied.length === 0
        ? 'migrations: up to date\n'
        : `migrations applied: ${applied.map((m) => m.name).join(', ')}\n`,
    );
    // An upgraded database starts balanced: rows written before the ledger (or before a posting
    // existed) get their entries, the same ones the live paths post. Idempotent: usually posts 0.
    const journal = new Journal();
    const backfill = await new LedgerBackfill(
      this.dataSource,
      journal,
      new LedgerPostings(journal, new RevenueSchedules(journal)),
    ).run();
    process.stdout.write(`ledger backfill: ${backfill.posted} entries posted\n`);
    // Trader payouts from payouts' own ledger (payouts reads its tables, posts through the journal).
    const payouts = await PayoutJournalBackfill.create(this.dataSource, journal).run();
    process.stdout.write(`ledger backfill: ${payouts.posted} trader payout entries posted\n`);
  }
}

const formatPrice = (price: Pick<PriceView, 'currency' | 'unitAmount'>): string =>
  `${price.currency} ${toDecimalString(money(price.unitAmount, parseCurrencyCode(price.currency)))}`;

@SubCommand({
  name: 'seed',
  description: 'Create the demo catalog and coupons that are missing; changes nothing that exists',
})
export class SeedCommand extends CommandRunner {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: CatalogService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async run(): Promise<void> {
    // Demo products on sale in production would be sold to real traders.
    if (this.config.isProduction)
      throw new Error('db seed creates demo products; refused when NODE_ENV=production');
    if (!this.dataSource.isInitialized) await this.dataSource.initialize();
    const context: RequestContext = {
      actor: { kind: 'system', name: `cli:${process.env.USER ?? 'unknown'}` },
      requestId: null,
    };
    const report = await this.catalog.seedDemoCatalog(context);
    const lines = [
      ...report.productsCreated.map(
        (product) =>
          `created product ${product.slug} ${product.id} (${product.kind}): ${product.prices.map(formatPrice).join(', ')}`,
      ),
      ...report.pricesAdded.map((price) => `added price ${formatPrice(price)} to ${price.slug}`),
      ...report.couponsCreated.map((coupon) => `created coupon ${coupon.code} ${coupon.id}`),
      `seed: ${report.productsCreated.length} products created, ${report.pricesAdded.length} prices added, ` +
        `${report.productsUnchanged} products unchanged; ${report.couponsCreated.length} coupons created, ` +
        `${report.couponsUnchanged} unchanged`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

@Command({ name: 'db', description: 'Database tasks', subCommands: [MigrateCommand, SeedCommand] })
export class DatabaseCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}
