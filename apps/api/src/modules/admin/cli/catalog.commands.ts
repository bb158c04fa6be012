import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import type { ProductKind } from '@astrix/contracts';
import type { PriceInput, ProductDetails } from '../../billing';
import { AdminCommand, type JsonOption, type YesOption } from './admin-command';
import { confirm, parseAmountOption, parsePositiveInteger, print } from './cli-support';

const PRODUCT_KINDS: ProductKind[] = ['evaluation', 'instant_funded', 'reset', 'subscription', 'add_on'];

const productRow = (product: ProductDetails) => ({
  id: product.id,
  slug: product.slug,
  kind: product.kind,
  name: product.name,
  status: product.status,
  prices: product.prices.map((price) => `${price.currency}:${price.unitAmount}`).join(' '),
});

@SubCommand({ name: 'list', description: 'Products, archived included, newest first' })
export class CatalogListCommand extends AdminCommand {
  async run(_parameters: string[], options: JsonOption): Promise<void> {
    await this.admin.use(async ({ catalog }) => {
      const products: ProductDetails[] = [];
      let cursor: string | undefined;
      do {
        const page = await catalog.listProductPage({ limit: 100, cursor });
        products.push(...page.data);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      print(options.json, products, products.map(productRow), [
        'id',
        'slug',
        'kind',
        'name',
        'status',
        'prices',
      ]);
    });
  }
}

interface CatalogCreateOptions extends JsonOption {
  name: string;
  kind: ProductKind;
  price: PriceInput[];
  slug?: string;
  description?: string;
  accountSize?: number;
}

@SubCommand({ name: 'create', description: 'Create a product with its prices' })
export class CatalogCreateCommand extends AdminCommand {
  async run(_parameters: string[], options: CatalogCreateOptions): Promise<void> {
    await this.admin.use(async ({ actAs, catalog }) => {
      const product = await catalog.createProduct(
        {
          name: options.name,
          kind: options.kind,
          prices: options.price,
          ...(options.slug ? { slug: options.slug } : {}),
          ...(options.description ? { description: options.description } : {}),
          ...(options.accountSize ? { attributes: { accountSize: options.accountSize } } : {}),
        },
        actAs(options.token, ['admin']),
      );
      print(options.json, product, [productRow(product)], ['id', 'slug', 'kind', 'name', 'status', 'prices']);
    });
  }

  @Option({ flags: '--name <name>', description: 'Product name', required: true })
  parseName(value: string): string {
    return value;
  }

  @Option({ flags: '--kind <kind>', description: PRODUCT_KINDS.join(', '), required: true })
  parseKind(value: string): ProductKind {
    if (!(PRODUCT_KINDS as string[]).includes(value))
      throw new Error(`--kind must be one of ${PRODUCT_KINDS.join(', ')}`);
    return value as ProductKind;
  }

  @Option({
    flags: '--price <currency:amount>',
    description: 'A one-off price, e.g. USD:299.00 (repeat for more currencies)',
    required: true,
  })
  parsePrice(value: string, previous: PriceInput[] = []): PriceInput[] {
    const { currency, amount } = parseAmountOption(value, '--price');
    return [...previous, { currency, unitAmount: amount }];
  }

  @Option({ flags: '--slug <slug>', description: 'Stable handle (derived from the name when absent)' })
  parseSlug(value: string): string {
    return value;
  }

  @Option({ flags: '--description <text>', description: 'Shown to traders' })
  parseDescription(value: string): string {
    return value;
  }

  @Option({ flags: '--account-size <units>', description: 'Account size in whole currency units' })
  parseAccountSize(value: string): number {
    return parsePositiveInteger(value, '--account-size');
  }
}

@SubCommand({ name: 'archive', arguments: '<productId>', description: 'Archive a product (no longer sold)' })
export class CatalogArchiveCommand extends AdminCommand {
  async run([productId]: string[], options: JsonOption & YesOption): Promise<void> {
    await confirm(`Archive product ${productId}?`, options.yes);
    await this.admin.use(async ({ actAs, catalog }) => {
      const product = await catalog.archiveProduct(productId, actAs(options.token, ['admin']));
      print(options.json, product, [productRow(product)], ['id', 'slug', 'status']);
    });
  }
}

@Command({
  name: 'catalog',
  description: 'Products and prices',
  subCommands: [CatalogListCommand, CatalogCreateCommand, CatalogArchiveCommand],
})
export class CatalogCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

export const CATALOG_COMMANDS = [
  CatalogCommand,
  CatalogListCommand,
  CatalogCreateCommand,
  CatalogArchiveCommand,
];
