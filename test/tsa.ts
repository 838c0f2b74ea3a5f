// A real RFC 3161 time-stamping authority for the tests: an HTTP server inside the test process
// that hands each POSTed application/timestamp-query to `openssl ts -reply` and sends back what
// OpenSSL answers. Its keys and certificates are made with OpenSSL when it starts (a CA of its own,
// "Amur Test TSA CA", and a TSA certificate with extendedKeyUsage=critical,timeStamping) and
// removed when it stops. For the failure tests it can also answer garbage, an HTTP error, or
// nothing at all; and `openssl ts -verify` checks its tokens independently of Amur's code.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type TsaMode = 'ok' | 'garbage' | 'http-error' | 'silent';

export interface TestTsa {
  url: string;
  dir: string;
  /** The TSA's own CA: trust it to trust the tokens. */
  caFile: string;
  ca: X509Certificate;
  certFile: string;
  keyFile: string;
  /** How the next requests are answered. */
  mode: TsaMode;
  /** How many time-stamp queries reached it. */
  requests: number;
  /** Checks a token with `openssl ts -verify` for a SHA-256 digest; returns OpenSSL's verdict. */
  opensslVerify(token: Buffer, digest: Buffer): { ok: boolean; out: string };
  stop(): Promise<void>;
}

const EXTENSIONS = `
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_tsa ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

function tsaConfig(dir: string): string {
  return `
[ tsa ]
default_tsa = amur_test_tsa
[ amur_test_tsa ]
dir = ${dir}
serial = ${join(dir, 'serial')}
crypto_device = builtin
signer_cert = ${join(dir, 'tsa.pem')}
certs = ${join(dir, 'ca.pem')}
signer_key = ${join(dir, 'tsa.key')}
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1.1
other_policies = 1.3.6.1.4.1.99999.1.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;
}

/** Starts the TSA on 127.0.0.1 (a free port). `key` is the TSA's key type. */
export async function startTsa(options: { key?: 'rsa' | 'ec'; cn?: string } = {}): Promise<TestTsa> {
  const dir = mkdtempSync(join(tmpdir(), 'amur-tsa-'));
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(join(dir, 'ext.cnf'), EXTENSIONS);
  writeFileSync(join(dir, 'tsa.cnf'), tsaConfig(dir));
  writeFileSync(join(dir, 'serial'), '01\n');
  ossl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'ca.key');
  ossl('req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=Amur Test TSA CA/O=Amur tests', '-days', '3650',
    '-config', 'ext.cnf', '-extensions', 'v3_ca', '-out', 'ca.pem');
  if (options.key === 'ec') ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'tsa.key');
  else ossl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'tsa.key');
  ossl('req', '-new', '-key', 'tsa.key', '-subj', `/CN=${options.cn ?? 'Amur Test TSA'}/O=Amur tests`, '-out', 'tsa.csr');
  ossl('x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650',
    '-extfile', 'ext.cnf', '-extensions', 'v3_tsa', '-out', 'tsa.pem');

  // openssl ts -reply increments one serial file: one query at a time.
  let queue: Promise<unknown> = Promise.resolve();
  let n = 0;
  const reply = (query: Buffer): Promise<Buffer> => {
    const next = queue.then(async () => {
      const q = join(dir, `q${++n}.tsq`);
      const r = join(dir, `r${n}.tsr`);
      writeFileSync(q, query);
      await run('openssl', ['ts', '-reply', '-queryfile', q, '-config', join(dir, 'tsa.cnf'), '-out', r]);
      return readFileSync(r);
    });
    queue = next.catch(() => undefined);
    return next;
  };

  const tsa: TestTsa = {
    url: '',
    dir,
    caFile: join(dir, 'ca.pem'),
    ca: new X509Certificate(readFileSync(join(dir, 'ca.pem'))),
    certFile: join(dir, 'tsa.pem'),
    keyFile: join(dir, 'tsa.key'),
    mode: 'ok',
    requests: 0,
    opensslVerify(token, digest) {
      const f = join(dir, `verify-${++n}.tst`);
      writeFileSync(f, token);
      const v = spawnSync('openssl', ['ts', '-verify', '-digest', digest.toString('hex'), '-in', f, '-token_in', '-CAfile', join(dir, 'ca.pem')], { encoding: 'utf8' });
      return { ok: v.status === 0 && /Verification: OK/.test(v.stdout), out: `${v.stdout}${v.stderr}` };
    },
    stop: async () => {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
        res.writeHead(415).end();
        return;
      }
      tsa.requests++;
      if (tsa.mode === 'silent') return; // holds the connection open and never answers
      if (tsa.mode === 'http-error') {
        res.writeHead(503, { 'Content-Type': 'text/plain' }).end('maintenance');
        return;
      }
      if (tsa.mode === 'garbage') {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>Login required</body></html>');
        return;
      }
      reply(Buffer.concat(chunks)).then(
        (body) => res.writeHead(200, { 'Content-Type': 'application/timestamp-reply', 'Content-Length': body.length }).end(body),
        (e: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(e.message),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  tsa.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`;
  return tsa;
}

/** An address where nothing listens: a port bound a moment ago and closed again. */
export async function deadTsaUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/tsa`;
}
