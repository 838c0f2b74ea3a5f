// HTTPS in front of a test Orthanc as a hospital's DMZ would run it: stunnel4 (Debian) terminating
// TLS 1.2 or later and requiring a client certificate issued by the exchange's own CA, forwarding to
// Orthanc's plain HTTP port on loopback (Orthanc 1.10.1's own HTTPS crashes on Debian 12). The
// certificates are made with OpenSSL at test time: the exchange's CA, the server's certificate for
// 127.0.0.1, a reader's client certificate from that CA, and one from a CA the exchange does not know.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../bench/lib/orthanc.js';

export interface TlsFront {
  /** https://127.0.0.1:PORT */
  origin: string;
  port: number;
  /** PEM file paths: the exchange's CA, a client certificate and key it accepts, and one it does not know. */
  files: { ca: string; clientCert: string; clientKey: string; strangerCert: string; strangerKey: string };
  stop(): Promise<void>;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '30',
    '-subj', `/O=Amur test/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function issue(dir: string, ca: string, name: string, subject: string, ext: string): void {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '30',
    '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startTlsFront(upstreamPort: number): Promise<TlsFront> {
  const dir = mkdtempSync(join(tmpdir(), 'amur-tls-'));
  makeCa(dir, 'exchange-ca');
  makeCa(dir, 'stranger-ca');
  issue(dir, 'exchange-ca', 'server', '/O=Amur test/CN=exchange', 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  issue(dir, 'exchange-ca', 'client', '/O=Amur Radiology/CN=reader workstation', 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  issue(dir, 'stranger-ca', 'stranger', '/O=Somebody/CN=not a reader', 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  const port = await freePort();
  const conf = join(dir, 'stunnel.conf');
  writeFileSync(conf, [
    'foreground = yes',
    'pid =',
    'debug = 4',
    '[exchange]',
    `accept = 127.0.0.1:${port}`,
    `connect = 127.0.0.1:${upstreamPort}`,
    `cert = ${join(dir, 'server.pem')}`,
    `key = ${join(dir, 'server.key')}`,
    `CAfile = ${join(dir, 'exchange-ca.pem')}`,
    'requireCert = yes',
    'verifyChain = yes',
    'sslVersionMin = TLSv1.2',
    '',
  ].join('\n'));
  const log = openSync(join(dir, 'stunnel.log'), 'a');
  const child: ChildProcess = spawn('stunnel4', [conf], { stdio: ['ignore', log, log] });
  closeSync(log);
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  for (let i = 0; i < 200 && !(await listening(port)); i++) {
    if (child.exitCode !== null) break;
    await delay(50);
  }
  if (!(await listening(port))) {
    kill();
    throw new Error(`stunnel4 did not start:\n${readFileSync(join(dir, 'stunnel.log'), 'utf8').slice(-2000)}`);
  }
  return {
    origin: `https://127.0.0.1:${port}`,
    port,
    files: {
      ca: join(dir, 'exchange-ca.pem'),
      clientCert: join(dir, 'client.pem'),
      clientKey: join(dir, 'client.key'),
      strangerCert: join(dir, 'stranger.pem'),
      strangerKey: join(dir, 'stranger.key'),
    },
    async stop() {
      process.removeListener('exit', kill);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, delay(5000)]);
        kill();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
