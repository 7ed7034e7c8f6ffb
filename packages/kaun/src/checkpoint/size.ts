/**
 * Shard sizes: bytes as a number, or strings with decimal (`5GB`) or binary (`5GiB`) units.
 * @module
 */
import { CheckpointError } from '../errors.js';

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};

/**
 * A size in bytes: a positive number of bytes, or a string such as `'5GB'`, `'500MB'`, `'1.5 GB'`
 * (decimal units: KB = 1000 bytes, MB = 10^6, GB = 10^9, TB = 10^12, as Hugging Face uses) or
 * `'2GiB'`, `'512MiB'` (binary units: KiB = 1024, MiB = 2^20, GiB = 2^30, TiB = 2^40). Units
 * are case-insensitive and always mean bytes.
 * @returns the size in whole bytes (rounded down).
 * @throws CheckpointError for anything else (zero, negative, NaN, unknown unit).
 * @example `Checkpoint.parseSize('500MB') // 500_000_000`
 */
export function parseSize(size: number | string, where = 'Checkpoint.parseSize'): number {
  let bytes: number;
  if (typeof size === 'number') {
    bytes = size;
  } else if (typeof size === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(size);
    const unit = m ? (m[2] === '' ? 'b' : m[2]!.toLowerCase()) : '';
    if (!m || !(unit in UNITS)) {
      throw new CheckpointError(`${where}: cannot read size ${JSON.stringify(size)}; use bytes (5e9) or a string like '5GB', '500MB' (decimal) or '2GiB' (binary)`);
    }
    bytes = Number(m[1]) * UNITS[unit]!;
  } else {
    throw new CheckpointError(`${where}: size must be a number of bytes or a string like '5GB', got ${typeof size}`);
  }
  bytes = Math.floor(bytes);
  if (!Number.isFinite(bytes) || bytes < 1) throw new CheckpointError(`${where}: size must be at least 1 byte, got ${JSON.stringify(size)}`);
  return bytes;
}
