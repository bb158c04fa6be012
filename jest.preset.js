// Shared jest settings: @swc/jest for speed (decorator metadata on), workspace packages from source.
const path = require('node:path');
const swcrc = require('./.swcrc.json');

/** @param {string} projectDir */
module.exports = (projectDir) => ({
  rootDir: projectDir,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  // cookie@2 (via light-my-request, Fastify's inject) and content-disposition@3 (via bull-board's
  // @fastify/static) ship ESM only: compile them to CommonJS too.
  transformIgnorePatterns: [
    '^.+/node_modules/(?!(?:\\.pnpm/(?:cookie|content-disposition)@[^/]+/node_modules/)?(?:cookie|content-disposition)/).+$',
  ],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@astrix/pricing$': path.join(__dirname, 'packages/domain/pricing/src/index.ts'),
    '^@astrix/contracts$': path.join(__dirname, 'packages/contracts/src/index.ts'),
    '^@astrix/contracts/(.*)$': path.join(__dirname, 'packages/contracts/src/$1'),
    '^@astrix/stripe-client$': path.join(__dirname, 'packages/clients/stripe/src/index.ts'),
  },
  coverageDirectory: path.join(__dirname, 'coverage', path.relative(__dirname, projectDir)),
});
