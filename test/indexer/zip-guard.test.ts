import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type CairnError, type ConfigInput, isCairnError } from '../../core/index.ts';
import { archiveLimits, guardZip, loadInput } from '../../indexer/index.ts';
import { testConfig } from './helpers.ts';
import {
  buildZip,
  documentXml,
  docxParts,
  lyingDocx,
  MB,
  manyEntriesZip,
  measurePeakRss,
  pointEntryAt,
  zerosDeflated,
} from './zip-guard-fixtures.ts';

const GB = 1024 * MB;

function load(name: string, data: Buffer, config: ConfigInput = {}) {
  return loadInput({ source: `/t/${name}`, name, data: new Uint8Array(data), metadata: {} }, { config: testConfig(config) });
}

function refusal(outcome: unknown): { code: string; message: string } {
  if (!isCairnError(outcome)) return { code: 'not refused', message: String(outcome) };
  return { code: (outcome as CairnError).code, message: outcome.message };
}

const defaults = archiveLimits(testConfig().server);

describe('ZIP guard through the loader (DOCX)', () => {
  it('reads a DOCX it has checked', async () => {
    const result = await load('ok.docx', buildZip(docxParts()));
    expect(result.documents.map((d) => d.text)).toEqual(['Hello guarded world.']);
  });

  it('refuses an entry that inflates to 1 GB behind a header claiming 3,000 bytes, in bounded memory, the event loop free', async () => {
    const bomb = lyingDocx(GB);
    expect(bomb.length).toBeLessThan(1.1 * MB);
    const run = await measurePeakRss(() => load('bomb.docx', bomb));
    expect(refusal(run.outcome)).toEqual({
      code: 'ARCHIVE_TOO_LARGE',
      message: `bomb.docx decompresses to more than ${200 * MB} bytes`,
    });
    expect(run.growthMb).toBeLessThan(200);
    expect(run.longestGapMs).toBeLessThan(1000);
  });

  it('refuses an entry past the compression-ratio limit long before the total limit', async () => {
    const run = await measurePeakRss(() => load('bomb.docx', lyingDocx(50 * MB)));
    expect(refusal(run.outcome)).toEqual({
      code: 'ARCHIVE_RATIO',
      message: 'bomb.docx: word/document.xml inflates more than 200 times its compressed size (a zip bomb?)',
    });
    expect(run.growthMb).toBeLessThan(200);
  });

  it('refuses the bomb with bytes prepended, as cat stub a.zip and as zip -A write it', async () => {
    const prepend = Buffer.alloc(4096, 0x41);
    const cat = await measurePeakRss(() => load('bomb.docx', lyingDocx(GB, { prepend })));
    expect(refusal(cat.outcome)).toEqual({
      code: 'ARCHIVE_UNSAFE',
      message: 'bomb.docx has 4096 bytes before its ZIP data (prepended or self-extracting)',
    });
    expect(cat.growthMb).toBeLessThan(200);
    const shifted = await load('bomb.docx', lyingDocx(GB, { prepend, shiftOffsets: true })).catch((e: unknown) => e);
    expect(refusal(shifted)).toEqual({ code: 'ARCHIVE_UNSAFE', message: 'bomb.docx has 4096 bytes before its first entry' });
  });

  it('does not let a prepended ZIP pass as text under another name', async () => {
    const hidden = await load('notes.md', lyingDocx(GB, { prepend: Buffer.from('# Notes\n\n') })).catch((e: unknown) => e);
    expect(refusal(hidden)).toEqual({ code: 'UNSUPPORTED_TYPE', message: 'ZIP archives are not supported; unpack them first' });
  });

  it('refuses archives nested deeper than one level, and counts the inner bytes of one level', async () => {
    const inner = buildZip([{ name: 'b.zip', data: buildZip([{ name: 'doc.xml', data: documentXml('deep') }]) }]);
    const nest = buildZip(docxParts(undefined, [{ name: 'word/embeddings/a.zip', data: inner }]));
    expect(refusal(await load('nest.docx', nest).catch((e: unknown) => e))).toEqual({
      code: 'ARCHIVE_NESTED',
      message: 'nest.docx: word/embeddings/a.zip!/b.zip is an archive inside an archive, nested deeper than 1 level(s)',
    });
    const chart = buildZip([{ name: 'xl/bomb.xml', deflated: zerosDeflated(50 * MB), declaredSize: 10 }]);
    const run = await measurePeakRss(() =>
      load('chart.docx', buildZip(docxParts(undefined, [{ name: 'word/embeddings/chart.xlsx', data: chart, stored: true }]))),
    );
    expect(refusal(run.outcome)).toEqual({
      code: 'ARCHIVE_RATIO',
      message:
        'chart.docx: word/embeddings/chart.xlsx!/xl/bomb.xml inflates more than 200 times its compressed size (a zip bomb?)',
    });
    expect(run.growthMb).toBeLessThan(200);
  });

  it('keeps a DOCX with one embedded workbook, and refuses any nesting at maxArchiveDepth 0', async () => {
    const workbook = buildZip([{ name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') }]);
    const docx = buildZip(docxParts(undefined, [{ name: 'word/embeddings/sheet.xlsx', data: workbook }]));
    expect((await load('chart.docx', docx)).documents.map((d) => d.text)).toEqual(['Hello guarded world.']);
    expect(refusal(await load('chart.docx', docx, { server: { maxArchiveDepth: 0 } }).catch((e: unknown) => e)).code).toBe(
      'ARCHIVE_NESTED',
    );
  });

  it('refuses a ZIP of 100,000 entries without reading past the limit', async () => {
    const many = manyEntriesZip(100_000);
    const run = await measurePeakRss(() => load('many.docx', many));
    expect(refusal(run.outcome)).toEqual({ code: 'ARCHIVE_TOO_MANY_ENTRIES', message: 'many.docx has more than 10000 entries' });
    expect(run.growthMb).toBeLessThan(200);
  });
});

describe('ZIP guard: structure', () => {
  const guardCode = (data: Buffer) =>
    guardZip(data, 'x.docx', defaults).then(
      () => 'accepted',
      (e: unknown) => refusal(e).code,
    );

  it('rewrites the archive with the counted sizes, so a reader sees exactly what was checked', async () => {
    const text = Buffer.from('a'.repeat(3000));
    const guarded = await guardZip(buildZip([{ name: 'a.xml', data: text, declaredSize: 1 }]), 'x.docx', defaults);
    expect([guarded.entries, guarded.inflatedBytes]).toEqual([1, 3000]);
    const end = guarded.bytes.length - 22;
    const central = guarded.bytes.readUInt32LE(end + 16);
    expect([guarded.bytes.readUInt32LE(22), guarded.bytes.readUInt32LE(central + 24)]).toEqual([3000, 3000]);
    expect(guarded.bytes.subarray(30, 35).toString()).toBe('a.xml');
  });

  it('refuses entries that share bytes, encrypted entries, trailing bytes and ZIP64', async () => {
    const two = buildZip([
      { name: 'a.xml', data: Buffer.from('one') },
      { name: 'b.xml', data: Buffer.from('two') },
    ]);
    expect(await guardCode(pointEntryAt(two, 1, 0))).toBe('ARCHIVE_UNSAFE');
    const encrypted = Buffer.from(two);
    encrypted.writeUInt16LE(1, encrypted.readUInt32LE(encrypted.length - 6) + 8);
    expect(await guardCode(encrypted)).toBe('ARCHIVE_UNSAFE');
    expect(await guardCode(Buffer.concat([two, Buffer.from('trailing')]))).toBe('ARCHIVE_UNSAFE');
    const zip64 = Buffer.from(two);
    zip64.writeUInt32LE(0xffffffff, zip64.length - 6);
    expect(await guardCode(zip64)).toBe('ARCHIVE_UNSAFE');
  });

  it('reports damage as LOADER_FAILED', async () => {
    expect(await guardCode(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0]))).toBe('LOADER_FAILED');
    const broken = buildZip([
      { name: 'a.xml', deflated: deflateRawSync(Buffer.from('x'.repeat(100))).subarray(0, 3), declaredSize: 100 },
    ]);
    expect(await guardCode(broken)).toBe('LOADER_FAILED');
  });
});
