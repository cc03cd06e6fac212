/**
 * Builds the page into web/dist, which the server serves. Everything is bundled (no CDN at run
 * time) and hashed under /assets/, which the server caches as immutable. The server's CSP
 * forbids inline scripts, so the module preload polyfill (an inline script) stays off.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2023',
    chunkSizeWarningLimit: 300,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
