// The shared preset plus a coverage gate: the pricing package must stay exhaustively tested.
const preset = require('../../../jest.preset.js')(__dirname);

// Inline source maps so coverage reports point at the right TypeScript lines.
const [transformer, swcOptions] = preset.transform['^.+\\.(t|j)s$'];

module.exports = {
  ...preset,
  transform: { '^.+\\.(t|j)s$': [transformer, { ...swcOptions, sourceMaps: 'inline' }] },
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts'],
  coverageReporters: ['text-summary', 'text', 'lcov'],
  coverageThreshold: {
    global: { lines: 95, branches: 95, functions: 95, statements: 95 },
  },
};
