// The Content-Security-Policy of the renderer, one string sent by both shells (the desktop shell's
// amur:// protocol and `amur serve`). It forbids eval of any kind: images are decoded outside the
// page, so nothing in the UI needs to compile code at run time. Inline styles set through React's
// style prop go through the CSSOM and are not affected by style-src. No frames at all: PDFs (the
// report preview, Encapsulated PDF documents) are drawn in the page by pdf.js, whose worker is a
// bundled script served from 'self' and which is told never to eval (isEvalSupported: false).
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "media-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
