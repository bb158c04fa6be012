// Browser tests: the real API (sandbox Stripe, workers) on a port, the console's build at /console,
// Debian's chromium driven by playwright-core. One worker: the machine is small.
const preset = require('../../jest.preset.js')(__dirname);
const api = require('node:path').join(__dirname, '..', 'api');

module.exports = {
  ...preset,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/e2e/**/*.spec.ts'],
  globalSetup: `${api}/test/support/global-setup.ts`,
  globalTeardown: `${api}/test/support/global-teardown.ts`,
  testTimeout: 90000,
  maxWorkers: 1,
};
