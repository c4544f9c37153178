import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a server started separately (PGHA_SERVER, default the server's own default).
export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/api': process.env.PGHA_SERVER ?? 'http://127.0.0.1:5080' } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  test: {
    environment: 'jsdom',
    setupFiles: ['test/setup.ts'],
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
  },
});
