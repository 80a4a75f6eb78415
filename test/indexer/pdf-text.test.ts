import { describe, expect, it } from 'vitest';
import { loadPdf } from '../../indexer/loaders/pdf.ts';
import { reorderVisualLine, repairRtlLine, rtlClusters, unreverseClusters } from '../../indexer/loaders/pdf-bidi.ts';
import { openPdfFile } from '../../indexer/loaders/pdf-file.ts';
import { PdfParser } from '../../indexer/loaders/pdf-objects.ts';
import { blankEmptyEntries, multiCharToUnicodeTexts, toUnicodeCMap } from '../../indexer/loaders/pdf-tounicode.ts';
import { glyphsToUnicode } from '../../indexer/loaders/pdf-truetype.ts';
import { repairFontMaps } from '../../indexer/loaders/pdf-update.ts';
import { fixture } from './helpers.ts';

const options = { passwords: {}, maxPages: 100 };

describe('visual to logical reordering', () => {
  it('reads an RTL-based line back in logical order, marks after their letters', () => {
    expect(reorderVisualLine('habibi يبيبَح')).toBe('حَبيبي habibi');
    expect(reorderVisualLine('123 םולש')).toBe('שלום 123');
  });

  it('keeps an LTR-based line LTR and only flips its RTL words', () => {
    expect(reorderVisualLine('hello םולש world')).toBe('hello שלום world');
    expect(reorderVisualLine('plain text, 42.')).toBe('plain text, 42.');
  });

  it('un-reverses purely RTL clusters in place, keeping word order', () => {
    expect(unreverseClusters('םולש םלוע', ['שלום', 'עולם'])).toBe('שלום עולם');
    expect(unreverseClusters('abc', ['שלום'])).toBe('abc');
  });

  it('keeps only clusters with three RTL letters, trimmed, longest first', () => {
    expect(rtlClusters(['لا', ' حَبيبي ', 'حَبيبي h', 'ffi'])).toEqual(['حَبيبي h', 'حَبيبي']);
  });

  it('changes a line only when a reading keeps more of the clusters', () => {
    expect(repairRtlLine('habibi يبيبَح', ['حَبيبي h', 'حَبيبي'])).toBe('حَبيبي habibi');
    expect(repairRtlLine('שלום עולם', ['שלום'])).toBe('שלום עולם');
    expect(repairRtlLine('םולש עולם', [])).toBe('םולש עולם');
    expect(repairRtlLine('no rtl here', ['שלום'])).toBe('no rtl here');
  });
});

describe('PDF object reading', () => {
  it('parses dictionaries, names, strings and references', () => {
    const value = new PdfParser('<< /A#20B [1 2 0 R (x\\(y\\)\\101) <4869>] /C true /D null >>').value();
    expect(value).toMatchObject({
      kind: 'dict',
      entries: new Map<string, unknown>([
        ['A B', [1, { kind: 'ref', num: 2 }, { kind: 'string', bytes: 'x(y)A' }, { kind: 'string', bytes: 'Hi' }]],
        ['C', true],
        ['D', null],
      ]),
    });
  });

  it('finds objects inside object streams', () => {
    const file = openPdfFile(fixture('pdf-chinese-invoice.pdf'));
    expect(file.find(/\/Type0\b/).map((o) => o.num)).toEqual([33, 38]);
  });
});

/** A font file holding only a format 4 cmap: one segment U+FF1A -> glyph 726, then the end marker. */
function tinyTrueType(): Buffer {
  const sub = Buffer.alloc(14 + 4 * 2 + 2 + 4 * 2);
  sub.writeUInt16BE(4, 0);
  sub.writeUInt16BE(sub.length, 2);
  sub.writeUInt16BE(4, 6); // two segments
  const segments: [number, number, number][] = [
    [0xff1a, 0xff1a, 726 - 0xff1a],
    [0xffff, 0xffff, 1],
  ];
  for (const [i, [end, start, delta]] of segments.entries()) {
    sub.writeUInt16BE(end, 14 + 2 * i);
    sub.writeUInt16BE(start, 20 + 2 * i);
    sub.writeInt16BE(((delta + 0x8000) & 0xffff) - 0x8000, 24 + 2 * i);
  }
  const cmap = Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12]), sub]);
  const head = Buffer.alloc(12 + 16);
  head.writeUInt32BE(0x00010000, 0);
  head.writeUInt16BE(1, 4);
  head.write('cmap', 12, 'latin1');
  head.writeUInt32BE(head.length, 20);
  head.writeUInt32BE(cmap.length, 24);
  return Buffer.concat([head, cmap]);
}

describe('ToUnicode maps for CID fonts that lack one', () => {
  it('inverts a TrueType cmap to glyph -> character', () => {
    expect([...glyphsToUnicode(tinyTrueType())]).toEqual([[726, '：']]);
    expect(glyphsToUnicode(Buffer.from('not a font')).size).toBe(0);
  });

  it('writes a bfchar CMap with UTF-16 destinations', () => {
    const cmap = toUnicodeCMap(
      new Map([
        [0x2d6, '：'],
        [1, '𝐀'],
      ]),
    );
    expect(cmap).toContain('2 beginbfchar\n<0001> <D835DC00>\n<02D6> <FF1A>\nendbfchar');
  });

  it('repairs the invoice font through an incremental update and leaves other files alone', async () => {
    const data = fixture('pdf-chinese-invoice.pdf');
    const repaired = repairFontMaps(data);
    expect(repaired?.blanked).toBe(false);
    expect(Buffer.from(repaired!.data.subarray(0, data.length)).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.from(repaired!.data.subarray(data.length)).toString('latin1')).toMatch(
      /\/Prev 116 >>\nstartxref\n\d+\n%%EOF\n$/,
    );
    for (const other of ['pdf-hello-world-minimal.pdf', 'pdf-chinese-contract.pdf', 'pdf-encrypted-aes256.pdf']) {
      expect(repairFontMaps(fixture(other))).toBeNull();
    }
    expect((await loadPdf(data, 'invoice.pdf', options)).text).toBe('ISSUE Date：2019-4-25 Buyer：黎荣');
  });
});

describe('RTL text from cluster-mapped fonts', () => {
  it('reads the multi-character ToUnicode entries of a file', () => {
    expect(multiCharToUnicodeTexts(fixture('pdf-arabic-rtl.pdf')).sort()).toEqual(['حَبيبي ', 'حَبيبي h']);
    expect(multiCharToUnicodeTexts(fixture('pdf-hello-world-minimal.pdf'))).toEqual([]);
  });

  it('gives empty entries a placeholder instead of letting pdf.js show the code', () => {
    const cmap = '2 beginbfchar\n<0003> <>\n<03a3> <062d>\nendbfchar\n1 beginbfrange <01> <02> <0041> endbfrange';
    expect(blankEmptyEntries(cmap)).toBe(
      '2 beginbfchar\n<0003> <200B>\n<03a3> <062d>\nendbfchar\n1 beginbfrange <01> <02> <0041> endbfrange',
    );
    expect(blankEmptyEntries('1 beginbfchar <01> <0041> endbfchar')).toBeUndefined();
    expect(repairFontMaps(fixture('pdf-arabic-rtl.pdf'))?.blanked).toBe(true);
  });

  it('gives the Arabic PDF in logical order, without the codes of text-less glyphs', async () => {
    const doc = await loadPdf(fixture('pdf-arabic-rtl.pdf'), 'habibi.pdf', options);
    // The file's ToUnicode maps give the Arabic word twice: once with `h`, once on its own glyphs.
    expect(doc.text).toBe('حَبيبي حَبيبي habibi');
    expect(doc.pages).toEqual([{ page: 1, start: 0, end: doc.text.length }]);
  });
});

describe('page limit', () => {
  it('reads the first pages of a longer PDF, not the last', async () => {
    const doc = await loadPdf(fixture('pdf-latex-twocolumn-table.pdf'), 'columns.pdf', { passwords: {}, maxPages: 1 });
    expect(doc.pages.map((p) => p.page)).toEqual([1]);
    expect(doc.text.startsWith('Two-Column Document with Lorem Ipsum')).toBe(true);
    expect(doc.metadata).toEqual({ pageCount: 3, truncatedAtPage: 1 });
  });
});
