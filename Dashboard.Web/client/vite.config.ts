/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// Everything the browser calls lives behind the gateway on the same origin; the dev server forwards it there.
const gateway = 'http://localhost:8080';

export default defineConfig({
  // esbuild's own JSX transform is all this app needs: no Babel plugin, no fast-refresh runtime in the bundle.
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: '../wwwroot',
    emptyOutDir: true,
    sourcemap: true,
    // React, React DOM, React Router, TanStack Query and the cron libraries are ~510 kB minified (157 kB gzipped).
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      // React Router and TanStack Query mark modules "use client" for server components; a browser bundle has no use for it.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') {
          warn(warning);
        }
      },
    },
  },
  server: {
    proxy: {
      '/api': gateway,
      '/auth': gateway,
      '/portal': gateway,
      '/config.json': gateway,
      '/health': gateway,
      '/ws': { target: gateway, ws: true },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
