import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { type BillingTestApp, startBillingTestApp } from '../../../api/test/support/billing';
import type { TestAppOptions } from '../../../api/test/support/test-app';

/** Debian's chromium (apt-get install chromium; .ci/run installs it), never a downloaded build. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface ConsoleHarness {
  t: BillingTestApp;
  browser: Browser;
  /** A fresh browser context (its own session storage) at laptop width. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * The real API in sandbox mode (fake Stripe, workers) listening on a port, serving the console's
 * build at /console, and a headless chromium.
 */
export async function startConsole(options: TestAppOptions = {}): Promise<ConsoleHarness> {
  if (!existsSync(join(__dirname, '..', '..', 'dist', 'index.html'))) {
    throw new Error(
      'apps/console/dist is missing: the test target builds it first (pnpm nx test @astrix/console)',
    );
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does), or set CHROMIUM_PATH`,
    );
  }
  const t = await startBillingTestApp(options);
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Root in CI and containers: chromium's sandbox needs user namespaces it may not have.
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
  } catch (error) {
    await t.close();
    throw error;
  }
  const pages: Page[] = [];
  return {
    t,
    browser,
    async newPage() {
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, baseURL: t.url });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      pages.push(page);
      return page;
    },
    async close() {
      await browser.close();
      await t.close();
    },
  };
}

/** Signs in through the console's sandbox sign-in as a role (and user id). */
export async function signIn(page: Page, role: 'support' | 'finance' | 'admin', sub: string): Promise<void> {
  await page.goto('/console/');
  await page.getByRole('heading', { name: /Sandbox sign-in/ }).waitFor();
  await page.getByRole('combobox', { name: 'Role' }).selectOption(role);
  await page.getByRole('textbox', { name: 'User id' }).fill(sub);
  await page.getByRole('button', { name: 'Sign in with a sandbox token' }).click();
  await page.getByLabel('Signed in as').filter({ hasText: sub }).waitFor();
}

/** By keyboard only: Enter submits the customer search, Enter on the focused result opens the 360. */
export async function openCustomer(page: Page, query: string, name: string): Promise<void> {
  await page.getByRole('link', { name: 'Customers' }).press('Enter');
  const search = page.getByRole('textbox', { name: 'Find a customer' });
  await search.fill(query);
  await search.press('Enter');
  await page.getByRole('link', { name }).press('Enter');
  await page.getByRole('heading', { level: 2, name }).waitFor();
}

/**
 * Screenshots for docs/console.md, only when CONSOLE_SCREENSHOTS names a folder (so a normal test
 * run leaves the repository untouched): `CONSOLE_SCREENSHOTS=docs/console pnpm nx test @astrix/console`.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const folder = process.env.CONSOLE_SCREENSHOTS;
  if (!folder) return;
  const target = join(__dirname, '..', '..', '..', '..', folder);
  mkdirSync(target, { recursive: true });
  // Let dialogs finish their opening transition (docs only; tests never wait on time).
  await new Promise((resolve) => setTimeout(resolve, 400));
  await page.screenshot({ path: join(target, `${name}.png`), type: 'png', animations: 'disabled' });
}

/** axe-core's WCAG checks on the page as it is now: every violation with the elements it names. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations.map(
    (violation) =>
      `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.html).join(' | ')})`,
  );
}
