// A PDF drawn in the page by pdf.js, every page on a canvas as wide as its container (sharp on a
// high-density screen), the same in both shells. The browser's own PDF viewer is not used: the
// desktop shell runs without plugins and its request guards would block that viewer anyway.
// pdf.js is imported only when a PDF is shown, so opening the worklist or a study fetches no more
// script; it parses in its own worker (bundled, served from 'self') and never compiles code at run
// time (isEvalSupported: false, as the CSP forbids eval). Fonts come from the PDF itself (ours embed
// theirs), loaded as FontFace data. `data-state` (loading, ready, error) and `data-pages` say where
// it stands, for the reader's assistive technology and for tests; `data-sha256` names the bytes
// drawn, so a test can tell they are the host's (the page may not fetch its own blob: URLs).
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PDFDocumentProxy } from 'pdfjs-dist';
import workerSrc from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import './pdf-pages.css';

export interface PdfPagesProps {
  /** The PDF's bytes. They are copied: pdf.js takes over the buffer it is given. */
  bytes: Uint8Array;
  /** What the PDF is, for assistive technology (e.g. its title). */
  label: string;
}

type State = 'loading' | 'ready' | 'error';

async function loadPdfJs() {
  const pdfjs = await import('pdfjs-dist');
  pdfjs.GlobalWorkerOptions.workerSrc = workerSrc;
  return pdfjs;
}

export function PdfPages({ bytes, label }: PdfPagesProps) {
  const { t } = useTranslation();
  const box = useRef<HTMLDivElement>(null);
  const [pdf, setPdf] = useState<PDFDocumentProxy | null>(null);
  const [state, setState] = useState<State>('loading');
  const [width, setWidth] = useState(0);
  const [sha256, setSha256] = useState<string | undefined>();

  useEffect(() => {
    let live = true;
    setSha256(undefined);
    crypto.subtle.digest('SHA-256', bytes.slice()).then((d) => {
      if (live) setSha256([...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join(''));
    }, () => undefined);
    return () => { live = false; };
  }, [bytes]);

  // Parse the bytes (in pdf.js's worker).
  useEffect(() => {
    let live = true;
    let doc: PDFDocumentProxy | null = null;
    setPdf(null);
    setState('loading');
    const task = loadPdfJs().then((pdfjs) => {
      const loading = pdfjs.getDocument({ data: bytes.slice(), isEvalSupported: false, disableAutoFetch: true, disableStream: true });
      return loading.promise;
    });
    task.then(
      (d) => {
        doc = d;
        if (live) setPdf(d);
        else void d.destroy();
      },
      () => { if (live) setState('error'); },
    );
    return () => {
      live = false;
      if (doc) void doc.destroy();
    };
  }, [bytes]);

  // The width to draw at follows the container's.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(1, Math.round(el.clientWidth)));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Draw every page, one after another, once the PDF and the width are known.
  useEffect(() => {
    const el = box.current;
    if (!pdf || !el || width <= 0) return;
    let live = true;
    const tasks: { cancel(): void }[] = [];
    const canvases = Array.from(el.querySelectorAll<HTMLCanvasElement>('canvas[data-page]'));
    (async () => {
      const dpr = window.devicePixelRatio || 1;
      for (let n = 1; n <= pdf.numPages && live; n++) {
        const page = await pdf.getPage(n);
        const canvas = canvases[n - 1];
        if (!live || !canvas) return;
        const base = page.getViewport({ scale: 1 });
        const viewport = page.getViewport({ scale: (width / base.width) * dpr });
        canvas.width = Math.floor(viewport.width);
        canvas.height = Math.floor(viewport.height);
        const task = page.render({ canvas, viewport });
        tasks.push(task);
        await task.promise;
      }
      if (live) setState('ready');
    })().catch((e: unknown) => {
      // A render cancelled because the width changed, or the PDF was replaced, is not an error.
      if (live && (e as { name?: string })?.name !== 'RenderingCancelledException') setState('error');
    });
    return () => {
      live = false;
      for (const task of tasks) task.cancel();
    };
  }, [pdf, width]);

  const pages = pdf?.numPages ?? 0;
  return (
    <div
      ref={box}
      className="pdf-pages"
      data-testid="pdf-pages"
      data-state={state}
      data-pages={pdf ? pages : undefined}
      data-sha256={state === 'ready' ? sha256 : undefined}
      role="document"
      aria-label={label}
      aria-busy={state === 'loading'}
    >
      {state === 'loading' && <p className="pdf-pages-note">{t('ui.pdf.loading')}</p>}
      {state === 'error' && <p className="pdf-pages-note" role="alert">{t('ui.pdf.failed')}</p>}
      {Array.from({ length: pages }, (_, i) => (
        <canvas key={i} data-page={i + 1} role="img" aria-label={t('ui.pdf.page', { page: i + 1, count: pages })} />
      ))}
    </div>
  );
}
