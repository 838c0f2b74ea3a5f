// Builds the renderer (React UI) into renderer/dist, served by the desktop shell's amur:// protocol
// and by `amur serve`. Relative asset URLs ('./') so the same bundle works under both origins.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  // The UI's translations and the contract live outside renderer/; vite may read them.
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No source maps in the shipped bundle: they would only help someone reading the app's code.
    sourcemap: false,
    chunkSizeWarningLimit: 4096,
  },
});
