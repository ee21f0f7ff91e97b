import { defineConfig } from 'vite';

// The build the deconflict binary embeds (crates/web): web/dist, committed, so that the binary
// builds without Node. Reproducible: file names carry content hashes only, no timestamps, no
// source maps.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    // Never inline assets as data: URLs into the scripts (the worker must be a file).
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev` against a local `deconflict demo`.
    proxy: { '/v1': 'http://127.0.0.1:8080', '/demo': 'http://127.0.0.1:8080' },
  },
});
