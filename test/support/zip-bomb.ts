import { constants, crc32, createDeflateRaw } from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** Produces the entry's content in pieces, so a 200 MB entry never sits in memory whole. */
  chunks: () => Iterable<Buffer>;
}

async function deflate(entry: ZipEntry): Promise<{ data: Buffer; crc: number; size: number }> {
  const out: Buffer[] = [];
  const z = createDeflateRaw({ level: constants.Z_BEST_COMPRESSION, memLevel: 9 });
  z.on('data', (d: Buffer) => out.push(d));
  const ended = new Promise<void>((resolve, reject) => (z.once('end', resolve), z.once('error', reject)));
  let crc = 0;
  let size = 0;
  for (const chunk of entry.chunks()) {
    crc = crc32(chunk, crc);
    size += chunk.length;
    if (!z.write(chunk)) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await ended;
  return { data: Buffer.concat(out), crc, size };
}

/**
 * A zip archive written by hand with zlib (deflate): small on the wire however
 * large the entries inflate. `declaredSize` overrides the uncompressed size in
 * the headers (a lying archive); otherwise the true size is declared.
 */
export async function buildZip(entries: ZipEntry[], opts: { declaredSize?: (name: string, real: number) => number } = {}): Promise<Buffer> {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const { data, crc, size } = await deflate(entry);
    const declared = opts.declaredSize ? opts.declaredSize(entry.name, size) : size;
    const name = Buffer.from(entry.name, 'utf8');
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(0, 6);
    head.writeUInt16LE(8, 8);
    head.writeUInt16LE(0, 10);
    head.writeUInt16LE(0x21, 12);
    head.writeUInt32LE(crc >>> 0, 14);
    head.writeUInt32LE(data.length, 18);
    head.writeUInt32LE(declared, 22);
    head.writeUInt16LE(name.length, 26);
    head.writeUInt16LE(0, 28);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0, 8);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt16LE(0, 12);
    dir.writeUInt16LE(0x21, 14);
    dir.writeUInt32LE(crc >>> 0, 16);
    dir.writeUInt32LE(data.length, 20);
    dir.writeUInt32LE(declared, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    local.push(head, name, data);
    central.push(dir, name);
    offset += head.length + name.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, cd, end]);
}

function* repeated(head: string, unit: string, totalBytes: number, tail: string): Iterable<Buffer> {
  yield Buffer.from(head);
  const block = Buffer.from(unit.repeat(Math.ceil((1024 * 1024) / unit.length)));
  let left = totalBytes;
  while (left > 0) {
    const n = Math.min(left, block.length);
    yield n === block.length ? block : block.subarray(0, n);
    left -= n;
  }
  yield Buffer.from(tail);
}

/** A .docx whose one text run inflates to `textBytes` (e.g. 200 MB) from a few hundred KB on the wire. */
export function docxBomb(textBytes: number, opts: { lieAboutSize?: boolean } = {}): Promise<Buffer> {
  const xml = (s: string) => () => [Buffer.from(s)];
  return buildZip(
    [
      {
        name: '[Content_Types].xml',
        chunks: xml(
          '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>' +
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        ),
      },
      {
        name: '_rels/.rels',
        chunks: xml(
          '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        ),
      },
      {
        name: 'word/document.xml',
        chunks: () =>
          repeated(
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>',
            'lorem ipsum ',
            textBytes,
            '</w:t></w:r></w:p></w:body></w:document>',
          ),
      },
    ],
    opts.lieAboutSize ? { declaredSize: (name, real) => (name === 'word/document.xml' ? 4096 : real) } : {},
  );
}
