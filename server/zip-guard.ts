import { inflateRawSync } from 'node:zlib';
import { CairnError } from '../core/index.ts';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;

export function isZip(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04;
}

function findEndOfCentral(view: DataView): number {
  for (let i = view.byteLength - 22; i >= Math.max(0, view.byteLength - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === END_OF_CENTRAL) return i;
  }
  return -1;
}

interface Entry {
  method: number;
  compressedSize: number;
  localOffset: number;
}

function centralEntries(view: DataView): Entry[] {
  const end = findEndOfCentral(view);
  if (end < 0) throw new CairnError('LOADER_FAILED', 'The ZIP container has no central directory');
  const count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 46 > view.byteLength || view.getUint32(offset, true) !== CENTRAL_HEADER) {
      throw new CairnError('LOADER_FAILED', 'The ZIP central directory is damaged');
    }
    entries.push({
      method: view.getUint16(offset + 10, true),
      compressedSize: view.getUint32(offset + 20, true),
      localOffset: view.getUint32(offset + 42, true),
    });
    offset += 46 + view.getUint16(offset + 28, true) + view.getUint16(offset + 30, true) + view.getUint16(offset + 32, true);
  }
  return entries;
}

/**
 * Throws PAYLOAD_TOO_LARGE when a ZIP container (DOCX, XLSX, …) inflates past `limit` bytes. The
 * entries are really inflated with a capped output, since declared sizes in a ZIP can lie.
 */
export function assertDecompressedWithin(data: Uint8Array, limit: number, name: string): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let total = 0;
  for (const entry of centralEntries(view)) {
    const at = entry.localOffset;
    if (at + 30 > view.byteLength || view.getUint32(at, true) !== LOCAL_HEADER) {
      throw new CairnError('LOADER_FAILED', `The ZIP container ${name} is damaged`);
    }
    const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
    const compressed = data.subarray(start, start + entry.compressedSize);
    const remaining = limit - total;
    try {
      total += entry.method === 0 ? compressed.length : inflateRawSync(compressed, { maxOutputLength: remaining + 1 }).length;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') {
        throw new CairnError('LOADER_FAILED', `The ZIP container ${name} is damaged: ${(error as Error).message}`);
      }
      total = limit + 1;
    }
    if (total > limit) {
      throw new CairnError('PAYLOAD_TOO_LARGE', `${name} decompresses to more than ${limit} bytes`, { file: name, limit });
    }
  }
}
