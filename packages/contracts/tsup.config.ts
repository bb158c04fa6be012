import { defineConfig } from 'tsup';

// ESM (index.mjs) and CommonJS (index.js) builds with their type declarations; dependencies stay external.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { paths: {} } },
  tsconfig: 'tsconfig.build.json',
  target: 'es2022',
  sourcemap: true,
  clean: true,
});
