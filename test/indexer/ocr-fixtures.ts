import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** Lines of text drawn black on white with DejaVu Sans (a font every test machine with fontconfig has). */
export async function textImage(
  lines: string[],
  width = 1200,
  fontSize = 40,
): Promise<{ png: Buffer; width: number; height: number }> {
  const lineHeight = Math.round(fontSize * 1.5);
  const height = lineHeight * (lines.length + 1);
  const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const texts = lines
    .map(
      (line, i) =>
        `<text x="40" y="${lineHeight * (i + 1)}" font-family="DejaVu Sans" font-size="${fontSize}">${escapeXml(line)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${texts}</svg>`;
  return { png: await sharp(Buffer.from(svg)).png().toBuffer(), width, height };
}

/**
 * A text page, a scan, or both: then the text at the foot of the page (or at textY points up) and
 * the image at the top (imageWidth points wide, 540 by default).
 */
export type PdfPageSpec =
  | { text: string }
  | { image: Buffer; imageWidth?: number }
  | { text: string; image: Buffer; imageWidth?: number; textY?: number };

const latin1 = (text: string) => Buffer.from(text, 'latin1');

function stream(dict: string, data: Buffer): Buffer {
  return Buffer.concat([latin1(`${dict.replace(/>>$/, ` /Length ${data.length} >>`)}\nstream\n`), data, latin1('\nendstream')]);
}

/** An image as a grey DeviceGray XObject, and its size. */
async function imageObject(png: Buffer): Promise<{ body: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  const dict = `<< /Type /XObject /Subtype /Image /Width ${info.width} /Height ${info.height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode >>`;
  return { body: stream(dict, deflateSync(data)), width: info.width, height: info.height };
}

/**
 * A letter-size PDF whose pages are either a line of Helvetica text (a text layer) or an image
 * (a scan: no text layer), drawn 540 pt wide at the top of the page.
 */
export async function mixedPdf(pages: PdfPageSpec[]): Promise<Buffer> {
  const objects: Buffer[] = [latin1(''), latin1(''), latin1('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>')];
  const add = (body: Buffer) => objects.push(body);
  const kids: number[] = [];
  for (const page of pages) {
    const parts: string[] = [];
    const resources: string[] = [];
    if ('text' in page) {
      resources.push('/Font << /F1 3 0 R >>');
      const y = 'image' in page ? (page.textY ?? 60) : 720;
      parts.push(`BT /F1 14 Tf 72 ${y} Td (${page.text.replace(/[()\\]/g, '\\$&')}) Tj ET`);
    }
    if ('image' in page) {
      const image = await imageObject(page.image);
      const id = add(image.body);
      const width = page.imageWidth ?? 540;
      const drawnHeight = (width * image.height) / image.width;
      resources.push(`/XObject << /Im1 ${id} 0 R >>`);
      parts.push(`q ${width} 0 0 ${drawnHeight.toFixed(2)} 36 ${(756 - drawnHeight).toFixed(2)} cm /Im1 Do Q`);
    }
    const content = parts.join('\n');
    const contents = add(stream('<< >>', latin1(content)));
    kids.push(
      add(
        latin1(
          `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << ${resources.join(' ')} >> /Contents ${contents} 0 R >>`,
        ),
      ),
    );
  }
  objects[0] = latin1('<< /Type /Catalog /Pages 2 0 R >>');
  objects[1] = latin1(`<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`);
  return serialize(objects);
}

function serialize(objects: Buffer[]): Buffer {
  const parts: Buffer[] = [latin1('%PDF-1.4\n')];
  const offsets: number[] = [];
  let length = parts[0]?.length ?? 0;
  objects.forEach((body, i) => {
    offsets.push(length);
    const part = Buffer.concat([latin1(`${i + 1} 0 obj\n`), body, latin1('\nendobj\n')]);
    parts.push(part);
    length += part.length;
  });
  const xref = [
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`,
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`),
  ];
  parts.push(latin1(`${xref.join('')}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`));
  return Buffer.concat(parts);
}
