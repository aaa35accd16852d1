import { AppException } from '../../common/app-exception';
import { htmlToText } from './html-to-text';
import { parseDocument } from './parse-document';
import { csvToText } from './structured-to-text';
import { minimalDocx, minimalPdf } from './testing/fixtures';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (err) {
    expect(err).toBeInstanceOf(AppException);
    return (err as AppException).code;
  }
}

describe('parseDocument', () => {
  it('reads txt and md as UTF-8, stripping a BOM and normalising CRLF', async () => {
    const data = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Héllo\r\nwörld 東京', 'utf8')]);
    expect(await parseDocument(data, 'a.txt')).toEqual({ format: 'txt', text: 'Héllo\nwörld 東京' });
    expect(await parseDocument(Buffer.from('# Title\n\nBody'), 'notes.MD')).toEqual({ format: 'md', text: '# Title\n\nBody' });
  });

  it('rejects binary content in a text file as a validation error', async () => {
    expect(await codeOf(parseDocument(Buffer.from([0x41, 0x00, 0x42]), 'bin.txt'))).toBe('VALIDATION_ERROR');
  });

  it('answers 415 UNSUPPORTED_MEDIA_TYPE for unknown types, naming the extension', async () => {
    const err = await parseDocument(Buffer.from('x'), 'photo.xyz').catch((e: AppException) => e);
    expect(err).toBeInstanceOf(AppException);
    expect((err as AppException).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((err as AppException).status).toBe(415);
    expect((err as AppException).message).toBe('Files of type .xyz cannot be parsed; supported: txt, md, html, pdf, docx, csv, json.');
  });

  it('uses the MIME type when the name has no extension', async () => {
    expect((await parseDocument(Buffer.from('{"a":1}'), 'upload', 'application/json')).format).toBe('json');
  });

  it('extracts the text of a PDF (sniffed by %PDF, whatever the name)', async () => {
    const pdf = minimalPdf(['Strata parses PDF files.', 'Second line (with parentheses).']);
    const out = await parseDocument(pdf, 'report.bin');
    expect(out.format).toBe('pdf');
    expect(out.text).toContain('Strata parses PDF files.');
    expect(out.text).toContain('Second line (with parentheses).');
  });

  it('answers 400 for a corrupt PDF or DOCX', async () => {
    expect(await codeOf(parseDocument(Buffer.from('%PDF-1.4\n garbage garbage'), 'broken.pdf'))).toBe('VALIDATION_ERROR');
    expect(await codeOf(parseDocument(Buffer.from('not a pdf'), 'fake.pdf'))).toBe('VALIDATION_ERROR');
    expect(await codeOf(parseDocument(Buffer.from('PK\u0003\u0004 truncated zip'), 'broken.docx'))).toBe('VALIDATION_ERROR');
  });

  it('extracts the paragraphs of a DOCX', async () => {
    const out = await parseDocument(await minimalDocx(['First paragraph & more.', 'Second <paragraph>.']), 'memo.docx');
    expect(out.format).toBe('docx');
    expect(out.text).toBe('First paragraph & more.\n\nSecond <paragraph>.');
  });

  it('flattens JSON into path: value lines and rejects invalid JSON with 400', async () => {
    const out = await parseDocument(Buffer.from(JSON.stringify({ name: 'Acme', tags: ['a', 'b'], address: { city: 'Paris', zip: null }, empty: {} })), 'd.json');
    expect(out.text).toBe('name: Acme\ntags[0]: a\ntags[1]: b\naddress.city: Paris\naddress.zip: null\nempty: {}');
    expect(await codeOf(parseDocument(Buffer.from('{"a": '), 'bad.json'))).toBe('VALIDATION_ERROR');
  });

  it('turns CSV rows into "column: value" lines, with quoted fields', async () => {
    const csv = 'name,city,note\r\n"Smith, John",Paris,"said ""hi""\nthen left"\nDoe,,ok\n';
    const out = await parseDocument(Buffer.from(csv), 'people.csv');
    expect(out.text).toBe('name: Smith, John; city: Paris; note: said "hi" then left\nname: Doe; note: ok');
    expect(csvToText('a;b\n1;2')).toBe('a: 1; b: 2');
  });

  it('converts HTML to text: drops scripts and styles, decodes entities, keeps blocks', async () => {
    const html =
      '<!DOCTYPE html><html><head><title>T &amp; C</title><style>p{color:red}</style><script>alert("<p>x</p>")</script></head>' +
      '<body><h1>Heading</h1><p>One&nbsp;&lt;two&gt; &#233;&#x4E2D; &copy;</p><!-- hidden --><ul><li>first</li><li>second</li></ul>' +
      '<table><tr><td>a</td><td>b</td></tr></table><pre>keep   spaces</pre>line<br>break</body></html>';
    const out = await parseDocument(Buffer.from(html), 'page.html');
    expect(out.format).toBe('html');
    expect(out.text).toBe('T & C\n\nHeading\n\nOne <two> é中 ©\n\n- first\n- second\n\na | b\n\nkeep   spaces\n\nline\nbreak');
    expect(htmlToText('<p>a<script>never</script>b</p>')).toBe('a b');
  });
});
