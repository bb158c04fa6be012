import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The layering rules of eslint.config.mjs, shown to fail on deliberate violations: the source is
 * linted as if it were a real file at that path (stdin), so nothing is written to the tree.
 */
const root = join(__dirname, '..', '..', '..', '..');
interface LintCase {
  filePath: string;
  source: string;
}

/** Lints every case in one ESLint process (typed linting is slow to start), as if each were that file. */
function restrictedImports(cases: LintCase[]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const found = [];
      for (const c of cases) {
        const [result] = await eslint.lintText(c.source, { filePath: c.filePath });
        found.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(found));
    })().catch((error) => { console.error(error); process.exit(2); });`;
  const output = execFileSync(process.execPath, ['-e', script], {
    cwd: root,
    input: JSON.stringify(cases),
    encoding: 'utf8',
  });
  return JSON.parse(output) as string[][];
}

describe('import boundaries (eslint.config.mjs)', () => {
  const cases = {
    platformToModule: {
      filePath: 'apps/api/src/platform/clock.ts',
      source:
        "import { CatalogService } from '../modules/billing/catalog/catalog.service';\nexport const used = CatalogService;\n",
    },
    platformToBootstrap: {
      filePath: 'apps/api/src/platform/http/validation.ts',
      source: "import { AppModule } from '../../bootstrap/app.module';\nexport const used = AppModule;\n",
    },
    moduleToInternal: {
      filePath: 'apps/api/src/modules/payouts/payout-rules.ts',
      source:
        "import { RefundsService } from '../billing/refunds/refunds.service';\nexport const used = RefundsService;\n",
    },
    moduleToSurface: {
      filePath: 'apps/api/src/modules/payouts/payout-rules.ts',
      source: "import { BillingModule } from '../billing';\nexport const used = BillingModule;\n",
    },
    stripeSdk: {
      filePath: 'apps/api/src/modules/billing/money.ts',
      source: "import Stripe from 'stripe';\nexport const used = Stripe;\n",
    },
  } satisfies Record<string, LintCase>;
  let found: Record<keyof typeof cases, string[]>;

  beforeAll(() => {
    const names = Object.keys(cases) as Array<keyof typeof cases>;
    const results = restrictedImports(names.map((name) => cases[name]));
    found = Object.fromEntries(names.map((name, index) => [name, results[index]])) as typeof found;
  }, 120_000);

  it('refuses platform importing a module', () => {
    expect(found.platformToModule).toEqual([expect.stringContaining('platform imports no module')]);
  });

  it('refuses platform importing a composition root', () => {
    expect(found.platformToBootstrap).toEqual([
      expect.stringContaining('only the entry points import bootstrap/'),
    ]);
  });

  it("refuses a module reaching into another module's internals, and allows its public surface", () => {
    expect(found.moduleToInternal).toEqual([
      expect.stringContaining('payouts may use another module only through its public surface'),
    ]);
    expect(found.moduleToSurface).toEqual([]);
  });

  it('refuses the Stripe SDK outside the client package', () => {
    expect(found.stripeSdk).toEqual([
      expect.stringContaining('only @astrix/stripe-client talks to the Stripe SDK'),
    ]);
  });
});
