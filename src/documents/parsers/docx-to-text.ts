import { inflateRawSync } from 'node:zlib';
import { Parser } from 'htmlparser2';
import { AppException } from '../../common/app-exception';
import { DOCX_XML_PER_TEXT, MB, ParseLimits, TextSink, textTooLarge } from './limits';
import { tokenizeMarkup } from './markup';

/** More entries than any real .docx has (Word writes 10–200, images included). */
export const MAX_ZIP_ENTRIES = 5000;
const MAX_RELS_BYTES = 64 * 1024;
const OFFICE_DOCUMENT = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument';

interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/**
 * DOCX → text without trusting the zip. The central directory is read first:
 * more than MAX_ZIP_ENTRIES entries, ZIP64, unsafe or duplicate names → 400;
 * the parts read (_rels/.rels and the main document part) must declare an
 * uncompressed size within the cap before anything is inflated, and inflation
 * stops at that declared size (zlib's maxOutputLength), so a lying header
 * cannot inflate further. The WordprocessingML is then read with a linear
 * tokenizer: w:t runs, w:tab, w:br, one blank line per paragraph (the text
 * mammoth's extractRawText gives), capped at maxExtractedBytes.
 */
export function docxToText(data: Buffer, name: string, limits: ParseLimits): string {
  const entries = readCentralDirectory(data, name);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const maxXml = Math.max(MB, limits.maxExtractedBytes * DOCX_XML_PER_TEXT);
  const rels = byName.get('_rels/.rels');
  const main = mainPartName(rels ? inflateEntry(data, rels, name, MAX_RELS_BYTES, limits).toString('utf8') : '');
  const part = byName.get(main);
  if (!part) throw corrupt(name);
  const xml = inflateEntry(data, part, name, maxXml, limits).toString('utf8');
  return wordprocessingText(xml, name, limits);
}

function corrupt(name: string, why = 'is a corrupt or unreadable DOCX file'): AppException {
  return AppException.validation(`${name} ${why}.`);
}

function readCentralDirectory(data: Buffer, name: string): ZipEntry[] {
  // End of central directory: 22 bytes plus a comment of at most 65 535 bytes, at the end.
  let eocd = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 0xffff); i--) {
    if (data.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corrupt(name);
  const count = data.readUInt16LE(eocd + 10);
  const cdSize = data.readUInt32LE(eocd + 12);
  const cdOffset = data.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw corrupt(name, 'uses ZIP64, which a DOCX file never needs');
  if (count > MAX_ZIP_ENTRIES) throw corrupt(name, `has ${count} zip entries; a DOCX file may have at most ${MAX_ZIP_ENTRIES}`);
  if (cdOffset + cdSize > eocd) throw corrupt(name);
  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd || data.readUInt32LE(p) !== 0x02014b50) throw corrupt(name);
    const nameLength = data.readUInt16LE(p + 28);
    const end = p + 46 + nameLength + data.readUInt16LE(p + 30) + data.readUInt16LE(p + 32);
    if (end > eocd) throw corrupt(name);
    const entryName = data.toString('utf8', p + 46, p + 46 + nameLength);
    if (entryName.includes('\0') || entryName.includes('\\') || entryName.startsWith('/') || entryName.split('/').includes('..')) {
      throw corrupt(name, 'contains an unsafe zip entry name');
    }
    if (seen.has(entryName)) throw corrupt(name, 'contains the same zip entry twice');
    seen.add(entryName);
    entries.push({
      name: entryName,
      flags: data.readUInt16LE(p + 8),
      method: data.readUInt16LE(p + 10),
      compressedSize: data.readUInt32LE(p + 20),
      size: data.readUInt32LE(p + 24),
      localOffset: data.readUInt32LE(p + 42),
    });
    p = end;
  }
  return entries;
}

/** The main document part named by _rels/.rels (word/document.xml when absent). */
function mainPartName(relsXml: string): string {
  let target = '';
  const parser = new Parser(
    {
      onopentag: (tag, attrs) => {
        if (!target && tag.endsWith('Relationship') && attrs.Type === OFFICE_DOCUMENT && attrs.Target) target = attrs.Target;
      },
    },
    { xmlMode: true },
  );
  parser.write(relsXml);
  parser.end();
  return (target || 'word/document.xml').replace(/^\/+/, '');
}

function inflateEntry(data: Buffer, e: ZipEntry, name: string, maxBytes: number, limits: ParseLimits): Buffer {
  // Checked on the declared size, before inflating anything.
  if (e.size > maxBytes) throw e.name.endsWith('.rels') ? corrupt(name) : textTooLarge(name, limits);
  if (e.flags & 1) throw corrupt(name, 'is encrypted');
  const p = e.localOffset;
  if (p + 30 > data.length || data.readUInt32LE(p) !== 0x04034b50) throw corrupt(name);
  const start = p + 30 + data.readUInt16LE(p + 26) + data.readUInt16LE(p + 28);
  if (start + e.compressedSize > data.length) throw corrupt(name);
  const raw = data.subarray(start, start + e.compressedSize);
  let out: Buffer;
  if (e.method === 0) out = raw;
  else if (e.method === 8) {
    try {
      // Enforced while inflating: zlib stops past the declared size, whatever the stream holds.
      out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
    } catch {
      throw corrupt(name);
    }
  } else throw corrupt(name, `uses zip compression method ${e.method}, which DOCX files do not`);
  if (out.length !== e.size) throw corrupt(name);
  return out;
}

function wordprocessingText(xml: string, name: string, limits: ParseLimits): string {
  const sink = new TextSink(name, limits);
  let inText = 0;
  let inRun = 0;
  let skip = 0; // mc:Choice (its mc:Fallback holds the same content) and deleted revisions
  tokenizeMarkup(xml, true, {
    open: (tag, selfClosing) => {
      if (tag === 'mc:Choice' || tag === 'w:del') {
        if (!selfClosing) skip++;
      } else if (tag === 'w:p') {
        if (selfClosing) sink.lineBreak(2);
      } else if (tag === 'w:r') {
        if (!selfClosing) inRun++;
      } else if (tag === 'w:t') {
        if (!selfClosing) inText++;
      } else if (skip === 0 && inRun > 0) {
        if (tag === 'w:tab') sink.raw('\t');
        else if (tag === 'w:br' || tag === 'w:cr') sink.lineBreak(1);
      }
    },
    close: (tag) => {
      if (tag === 'mc:Choice' || tag === 'w:del') skip = Math.max(0, skip - 1);
      else if (tag === 'w:p') sink.lineBreak(2);
      else if (tag === 'w:r') inRun = Math.max(0, inRun - 1);
      else if (tag === 'w:t') inText = Math.max(0, inText - 1);
    },
    text: (s) => {
      if (inText > 0 && skip === 0) sink.raw(s);
    },
    other: () => undefined,
  });
  return sink.toString().replace(/\r\n?/g, '\n').trim();
}
