// The browser shell's access rules, as small pure functions so that tests can hold them to account:
// a per-launch secret that must accompany every request (first in the URL, then as an HttpOnly
// cookie), a Host/Origin check against DNS rebinding, and the response headers every reply carries.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CONTENT_SECURITY_POLICY } from '../../renderer/csp.js';

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Cookies are not told apart by port, so each host's cookie carries its port in its name. */
export function cookieName(port: number): string {
  return `amur_key_${port}`;
}

export function sameSecret(given: string | undefined | null, secret: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie that replaces the key in the URL: not readable by scripts, never sent cross-site. */
export function keyCookie(port: number, secret: string): string {
  return `${cookieName(port)}=${secret}; HttpOnly; SameSite=Strict; Path=/`;
}

/** A page on another name that resolves to 127.0.0.1 (DNS rebinding) must not reach the host. */
export function allowedHost(hostHeader: string | undefined, port: number): boolean {
  return hostHeader === `127.0.0.1:${port}` || hostHeader === `localhost:${port}`;
}

/** WebSockets are not bound by the same-origin policy, so their Origin is checked by hand. */
export function allowedOrigin(origin: string | undefined, port: number): boolean {
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // Patient data must not stay in the browser's disk cache.
  'Cache-Control': 'no-store',
};
