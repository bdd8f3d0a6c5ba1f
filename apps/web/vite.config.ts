import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// In development Vite serves the page on :5173 and proxies the API (WebSocket included) to the server on
// :8080. The proxy forwards the browser's Origin, so the dev server config allows http://localhost:5173;
// production configs must not.
export default defineConfig({
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        watch: resolve(import.meta.dirname, 'watch.html'),
        recordings: resolve(import.meta.dirname, 'recordings.html'),
      },
    },
  },
});
