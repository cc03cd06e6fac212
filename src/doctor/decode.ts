/**
 * Streaming decompression of the body a compressing hop sent. Flush modes are the "sync" ones so
 * that a stream cut mid-way still yields every event received, instead of a truncation error.
 */
import { PassThrough, type Transform } from 'node:stream';
import zlib from 'node:zlib';

/** A decoder for one `Content-Encoding` value; identity (or an unknown coding) passes through. */
export function decoderFor(contentEncoding: string | undefined): Transform {
  const coding = (contentEncoding ?? '').trim().toLowerCase();
  const flush = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  if (coding === 'gzip' || coding === 'x-gzip') return zlib.createGunzip(flush);
  if (coding === 'deflate') return zlib.createInflate(flush);
  if (coding === 'br') {
    return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
  }
  if (coding === 'zstd') return zlib.createZstdDecompress();
  return new PassThrough();
}
