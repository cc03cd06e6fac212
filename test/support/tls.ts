/** A throwaway certificate authority and server certificate for 127.0.0.1, made with openssl. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { makeScratchDir } from './scratch-dir.ts';

export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
}

export async function selfSignedCertificate(): Promise<TestCertificate> {
  const dir = await makeScratchDir('tls');
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      dir.file('key.pem'),
      '-out',
      dir.file('cert.pem'),
    ]);
    return {
      key: await readFile(dir.file('key.pem'), 'utf8'),
      cert: await readFile(dir.file('cert.pem'), 'utf8'),
    };
  } finally {
    await dir.remove();
  }
}
