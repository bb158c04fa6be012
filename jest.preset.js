// Shared jest settings: @swc/jest for speed (decorator metadata on), workspace packages from source.
const path = require('node:path');
const swcrc = require('./.swcrc.json');

/** @param {string} projectDir */
module.exports = (projectDir) => ({
  rootDir: projectDir,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@astrix/pricing$': path.join(__dirname, 'packages/domain/pricing/src/index.ts'),
    '^@astrix/contracts$': path.join(__dirname, 'packages/contracts/src/index.ts'),
    '^@astrix/contracts/(.*)$': path.join(__dirname, 'packages/contracts/src/$1'),
    '^@astrix/stripe-client$': path.join(__dirname, 'packages/clients/stripe/src/index.ts'),
  },
  coverageDirectory: path.join(__dirname, 'coverage', path.relative(__dirname, projectDir)),
});
