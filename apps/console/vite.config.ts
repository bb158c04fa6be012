import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `pnpm dev`: hot reload at http://localhost:5173/console/, API calls proxied to the local API.
const api = process.env.ASTRIX_API_URL ?? 'http://127.0.0.1:3000';
const source = (path: string) => fileURLToPath(new URL(`../../packages/${path}`, import.meta.url));

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  resolve: {
    alias: {
      '@astrix/pricing': source('domain/pricing/src/index.ts'),
      '@astrix/contracts': source('contracts/src/index.ts'),
    },
  },
  server: { port: 5173, proxy: { '/v1': api } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
});
