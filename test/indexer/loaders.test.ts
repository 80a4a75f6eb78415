import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../core/index.ts';
import { loadInput, looksBinary, sniffKind } from '../../indexer/index.ts';
import { fixture, loadFixture, testConfig } from './helpers.ts';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return isCairnError(error) ? error.code : `not a CairnError: ${String(error)}`;
  }
}

function only(result: Awaited<ReturnType<typeof loadFixture>>) {
  expect(result.documents).toHaveLength(1);
  return result.documents[0] as (typeof result.documents)[number];
}

describe('PDF loader', () => {
  it('reads the minimal PDF with its page span', async () => {
    const doc = only(await loadFixture('pdf-hello-world-minimal.pdf'));
    expect(doc.text).toBe('Hello World\nHello World\nH e l l o W o r l d\nH e l l o W o r l d');
    expect(doc.pages).toEqual([{ page: 1, start: 0, end: 63 }]);
    expect(doc.mime).toBe('application/pdf');
  });

  it('keeps per-page offsets of a multi-page PDF', async () => {
    const doc = only(await loadFixture('pdf-latex-twocolumn-table.pdf'));
    expect(doc.pages.map((p) => p.page)).toEqual([1, 2, 3]);
    expect(doc.text.startsWith('Two-Column Document with Lorem Ipsum')).toBe(true);
    const third = doc.pages[2] as { start: number; end: number };
    expect(doc.text.slice(third.start, third.end)).toContain('Austria');
    expect(doc.metadata.pageCount).toBe(3);
  });

  it('reads CJK and Korean text', async () => {
    expect(only(await loadFixture('pdf-chinese-contract.pdf')).text).toBe('甲方：中国饮料有限公司（盖章）');
    const korean = only(await loadFixture('pdf-korean-tables.pdf'));
    expect(korean.text).toContain('할인점·주유·온라인쇼핑몰');
    expect(korean.text).toContain('1.5% 빅포인트 적립');
    expect(korean.language).toBe('ko');
  });

  it('recovers text from a corrupt stream instead of crashing', async () => {
    const doc = only(await loadFixture('pdf-corrupt-zlib-stream.pdf'));
    expect(doc.text).toContain('Beautiful is better than ugly.');
  });

  it('fails clearly on encrypted PDFs without a password and opens them with one', async () => {
    expect(await codeOf(loadFixture('pdf-encrypted-aes256.pdf'))).toBe('PDF_ENCRYPTED');
    expect(await codeOf(loadFixture('pdf-encrypted-aes256.pdf', testConfig(), 'wrong'))).toBe('PDF_BAD_PASSWORD');
    expect(only(await loadFixture('pdf-encrypted-aes256.pdf', testConfig(), 'usersecret')).text).toBe('Hello World');
    const byConfig = testConfig({ ingest: { pdfPasswords: { 'pdf-encrypted-libreoffice.pdf': 'openpassword' } } });
    expect(only(await loadFixture('pdf-encrypted-libreoffice.pdf', byConfig)).text).toMatch(/^Lorem ipsum dolor sit amet/);
  });

  it('reports scanned PDFs as having no text layer when OCR is off (test/indexer/ocr-*.test.ts read them with OCR)', async () => {
    for (const name of ['pdf-scanned-no-text-layer.pdf', 'pdf-image-only-table.pdf']) {
      const error = await loadFixture(name, testConfig({ ingest: { ocr: 'off' } })).catch((e: unknown) => e);
      expect(isCairnError(error, 'PDF_NO_TEXT')).toBe(true);
      expect((error as Error).message).toBe('no extractable text (scanned? OCR is off: set ingest.ocr to auto)');
    }
  });

  it('fails a truncated PDF with LOADER_FAILED', async () => {
    const data = fixture('pdf-hello-world-minimal.pdf').subarray(0, 40);
    expect(await codeOf(loadInput({ source: 'x.pdf', name: 'x.pdf', data, metadata: {} }, { config: testConfig() }))).toBe(
      'LOADER_FAILED',
    );
  });
});

describe('HTML loader', () => {
  it('decodes Windows-1252 without a charset declaration', async () => {
    const doc = only(await loadFixture('html-windows1252-encoded.html'));
    expect(doc.text).toContain('Die schöne Frau hat einen Kaffee mit Kuchen gegessen.');
    expect(doc.text).toContain('15,50 €.');
    expect(doc.text.startsWith('My First Heading\n\nMy first paragraph.')).toBe(true);
    expect(doc.outline).toEqual([{ offset: 0, level: 1, title: 'My First Heading' }]);
  });

  it('keeps table rows of a real filing and drops markup', async () => {
    const doc = only(await loadFixture('html-sec-10k-page.html'));
    expect(doc.text).toContain('TRANSITION REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934');
    expect(doc.text).toContain('Galaxy Gaming, Inc.');
    expect(doc.text).toMatch(/Nevada \| 20-8143439/);
    expect(doc.text).not.toContain('<');
  });

  it('honours a charset from the HTTP header and a meta tag', async () => {
    const data = new Uint8Array(Buffer.from('<html><body><p>caf\xe9</p></body></html>', 'latin1'));
    const input = { source: 'u', name: 'page', data, metadata: {}, mime: 'text/html; charset=iso-8859-1' };
    expect(only(await loadInput(input, { config: testConfig() })).text).toBe('café');
    const meta = new Uint8Array(
      Buffer.from('<html><head><meta charset="windows-1252"></head><body><p>\x80 5</p></body></html>', 'latin1'),
    );
    expect(
      only(await loadInput({ source: 'm.html', name: 'm.html', data: meta, metadata: {} }, { config: testConfig() })).text,
    ).toBe('€ 5');
  });

  it('keeps the main article of a page with boilerplate (Readability)', async () => {
    const article = Array.from(
      { length: 12 },
      (_, i) =>
        `<p>Paragraph ${i} of the article about cairns, stones piled by walkers to mark the way across open moorland.</p>`,
    ).join('');
    const links = Array.from({ length: 40 }, (_, i) => `<a href="/l${i}">Link number ${i}</a>`).join(' ');
    const html = `<html><head><title>Cairns</title></head><body><div class="sidebar menu">${links}</div><article><h1>Cairns</h1>${article}</article><div class="footer comments">${links}</div></body></html>`;
    const doc = only(
      await loadInput(
        { source: 'a.html', name: 'a.html', data: new Uint8Array(Buffer.from(html)), metadata: {} },
        { config: testConfig() },
      ),
    );
    expect(doc.title).toBe('Cairns');
    expect(doc.text).toContain('Paragraph 11 of the article about cairns');
    expect(doc.text).not.toContain('Link number');
  });

  it('drops navigation and scripts, keeps lists', async () => {
    const html = '<html><body><nav>Home | About</nav><script>x()</script><h1>T</h1><ul><li>a</li><li>b</li></ul></body></html>';
    const input = { source: 'p.html', name: 'p.html', data: new Uint8Array(Buffer.from(html)), metadata: {} };
    expect(only(await loadInput(input, { config: testConfig() })).text).toBe('T\n\n- a\n- b');
  });
});

describe('Markdown loader', () => {
  it('decodes Latin-1 markdown and finds its heading', async () => {
    const doc = only(await loadFixture('md-latin1-encoded.md'));
    expect(doc.text).toBe('## können\n\nkönnen\n\näöüß\n');
    expect(doc.outline).toEqual([{ offset: 0, level: 2, title: 'können' }]);
  });

  it('keeps fenced code verbatim and ignores # inside it', async () => {
    const doc = only(await loadFixture('md-fenced-code.md'));
    expect(doc.text).toBe(Buffer.from(fixture('md-fenced-code.md')).toString('utf8'));
    expect(doc.outline.map((h) => h.title)).toEqual(['HTML Example', 'XML Example']);
    expect(doc.text).toContain('<h1>Hello, World!</h1>');
    expect(doc.text).toContain('<to>Tove</to>');
  });

  it('keeps pipe tables as rows', async () => {
    const doc = only(await loadFixture('md-pipe-table.md'));
    expect(doc.text).toContain('Juicy Apples | 1.99 | 739');
  });
});

describe('DOCX loader', () => {
  it('reads tables as rows', async () => {
    expect(only(await loadFixture('docx-table.docx')).text).toBe(
      'Above\n\nTop left | Top right\nBottom left | Bottom right\n\nBelow',
    );
  });

  it('reads footnotes', async () => {
    expect(only(await loadFixture('docx-footnotes.docx')).text).toBe('Ouch[1].[2]\n\n1. A tachyon walks into a bar.\n\n2. Fin.');
  });

  it('reads mixed-language paragraphs', async () => {
    const doc = only(await loadFixture('docx-english-spanish.docx'));
    expect(doc.text).toContain('All human beings are born free and equal in dignity and rights.');
    expect(doc.text).toContain('Todos los seres humanos nacen libres e iguales en dignidad y derechos');
  });

  it('fails an empty ZIP renamed .docx clearly', async () => {
    const error = await loadFixture('docx-invalid-empty-zip.docx').catch((e: unknown) => e);
    expect(isCairnError(error, 'LOADER_FAILED')).toBe(true);
    expect((error as Error).message).toBe('Could not find main document part. Are you sure this is a valid .docx file?');
  });

  it('refuses a docx that inflates past the limit, counting the bytes really inflated', async () => {
    const config = testConfig({ server: { maxDecompressedBytes: 1000 } });
    expect(await codeOf(loadFixture('docx-table.docx', config))).toBe('ARCHIVE_TOO_LARGE');
  });
});

describe('text, CSV and JSON loaders', () => {
  const load = (name: string, text: string | Uint8Array, config = testConfig()) =>
    loadInput(
      { source: `/t/${name}`, name, data: typeof text === 'string' ? new Uint8Array(Buffer.from(text)) : text, metadata: {} },
      { config },
    );

  it('rejects empty and binary content with their codes', async () => {
    expect(await codeOf(load('a.txt', ''))).toBe('EMPTY_FILE');
    expect(await codeOf(load('a.txt', '   \n'))).toBe('EMPTY_FILE');
    expect(await codeOf(load('a.txt', new Uint8Array([1, 2, 0, 4, 5])))).toBe('BINARY_FILE');
    expect(await codeOf(load('a.zip', new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)])))).toBe(
      'UNSUPPORTED_TYPE',
    );
  });

  it('reads UTF-16 with a BOM and Shift_JIS by detection', async () => {
    const utf16 = new Uint8Array([0xff, 0xfe, ...Buffer.from('héllo wörld', 'utf16le')]);
    expect(only(await load('a.txt', utf16)).text).toBe('héllo wörld');
    expect(looksBinary(utf16)).toBe(false);
  });

  it('makes one document per JSONL line with the configured text field', async () => {
    const jsonl = '{"body":"first line text","title":"One","n":1}\n\nnot json\n{"body":"second"}\n{"other":1}\n';
    const result = await load('d.jsonl', jsonl, testConfig({ ingest: { jsonlTextField: 'body' } }));
    expect(result.documents.map((d) => [d.part, d.text, d.title])).toEqual([
      ['#L1', 'first line text', 'One'],
      ['#L4', 'second', 'd.jsonl#L4'],
    ]);
    expect(result.documents[0]?.metadata).toEqual({ title: 'One', n: 1 });
    expect(result.failures.map((f) => [f.part, f.code])).toEqual([
      ['#L3', 'LOADER_FAILED'],
      ['#L5', 'LOADER_FAILED'],
    ]);
  });

  it('reads CSV and plain JSON as text', async () => {
    expect(only(await load('a.csv', 'a,b\n1,2\n')).mime).toBe('text/csv');
    expect(only(await load('a.json', '{"k": "v"}')).text).toBe('{"k": "v"}');
    expect(await codeOf(load('a.json', '{oops'))).toBe('LOADER_FAILED');
  });

  it('sniffs content before the extension', () => {
    expect(sniffKind(fixture('pdf-hello-world-minimal.pdf'), 'renamed.txt')).toBe('pdf');
    expect(sniffKind(new Uint8Array(Buffer.from('<!DOCTYPE html><p>x')), 'page.txt')).toBe('html');
    expect(sniffKind(new Uint8Array(Buffer.from('# Title')), 'notes.md')).toBe('markdown');
    expect(sniffKind(new Uint8Array(Buffer.from('x')), 'x', 'text/markdown; charset=utf-8')).toBe('markdown');
  });
});
