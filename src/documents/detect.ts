import { unzipSync } from 'fflate';
import { DocumentError, type DocumentErrorCode } from './errors';
import { parseJsonText } from './json';
import { decodeUtf8, isBlank } from './text';

import { DOCUMENT_TYPES, type DocumentType } from '../contracts/documents';

export { DOCUMENT_TYPES, type DocumentType };

/** The codes detectFileType and safeFilename can answer with. */
export type DetectErrorCode = Extract<DocumentErrorCode, 'invalid_filename' | 'empty_file' | 'unsupported_type' | 'type_mismatch' | 'invalid_encoding' | 'invalid_json' | 'corrupt_file'>;

export type DetectResult = { ok: true; type: DocumentType } | { ok: false; code: DetectErrorCode; message: string };
export type SafeFilenameResult = { ok: true; name: string } | { ok: false; code: 'invalid_filename'; message: string };

/** Most filesystems cap a name at 255 bytes. */
const MAX_NAME_BYTES = 255;
// C0/C1 controls, plus the invisible format characters (bidi overrides, zero-widths, BOM) that can
// disguise an extension, as in "invoice\u202Efdp.exe".
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/**
 * The base name of an uploaded file, safe to show, log and store: browsers and clients send paths
 * ("C:\\fakepath\\x.csv", "../../etc/passwd"), and a name is never to be trusted as a path.
 */
export function safeFilename(raw: string): SafeFilenameResult {
  const invalid = { ok: false, code: 'invalid_filename', message: 'The file name is empty or not a file name' } as const;
  if (typeof raw !== 'string') return invalid;
  const cleaned = raw.normalize('NFC').replace(UNPRINTABLE, '');
  let name = cleaned.split(/[/\\]/).pop() ?? '';
  name = name.replace(/^[a-zA-Z]:/, '').trim();
  // Windows drops trailing dots and spaces, so "x.csv." would be stored as "x.csv" there anyway.
  name = name.replace(/[.\s]+$/, '');
  if (name === '' || /^\.+$/.test(name)) return invalid;
  return { ok: true, name: truncateName(name) };
}

function truncateName(name: string): string {
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  let stem = name.slice(0, name.length - ext.length);
  while (Buffer.byteLength(stem + ext) > MAX_NAME_BYTES) stem = [...stem].slice(0, -1).join('');
  return stem + ext;
}

/** Signatures of common files people upload by mistake, to say what was received. */
const BINARY_SIGNATURES: Array<{ magic: number[]; label: string }> = [
  { magic: [0x89, 0x50, 0x4e, 0x47], label: 'a PNG image' },
  { magic: [0xff, 0xd8, 0xff], label: 'a JPEG image' },
  { magic: [0x47, 0x49, 0x46, 0x38], label: 'a GIF image' },
  { magic: [0x4d, 0x5a], label: 'a Windows executable' },
  { magic: [0x7f, 0x45, 0x4c, 0x46], label: 'an ELF executable' },
  { magic: [0xd0, 0xcf, 0x11, 0xe0], label: 'a legacy Office file (.doc/.xls); save it as .docx or CSV' },
  { magic: [0x1f, 0x8b], label: 'a gzip archive' },
];

const startsWith = (bytes: Uint8Array, magic: readonly number[]) => magic.every((b, i) => bytes[i] === b);
const PDF_MAGIC = [...Buffer.from('%PDF-')];
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

type Content = { kind: 'pdf' | 'docx' | 'text' } | { kind: 'other'; code: 'unsupported_type' | 'invalid_encoding' | 'corrupt_file'; label: string };

/** Lists a ZIP's entry names from its central directory without inflating anything. */
export function zipEntries(bytes: Uint8Array): Map<string, number> | null {
  const entries = new Map<string, number>();
  try {
    unzipSync(bytes, {
      filter: (file) => {
        entries.set(file.name, file.originalSize);
        return false;
      },
    });
  } catch {
    return null;
  }
  return entries;
}

function sniff(bytes: Uint8Array): Content {
  if (startsWith(bytes, PDF_MAGIC)) return { kind: 'pdf' };
  if (startsWith(bytes, ZIP_MAGIC)) {
    const entries = zipEntries(bytes);
    if (!entries) return { kind: 'other', code: 'corrupt_file', label: 'a damaged ZIP archive' };
    if (entries.has('word/document.xml')) return { kind: 'docx' };
    if (entries.has('xl/workbook.xml')) return { kind: 'other', code: 'unsupported_type', label: 'an Excel workbook; export it as CSV' };
    return { kind: 'other', code: 'unsupported_type', label: 'a ZIP archive' };
  }
  const signature = BINARY_SIGNATURES.find((s) => startsWith(bytes, s.magic));
  if (signature) return { kind: 'other', code: 'unsupported_type', label: signature.label };
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) return { kind: 'other', code: 'invalid_encoding', label: 'UTF-16 text; save it as UTF-8' };
  return { kind: 'text' };
}

/**
 * Decides what an upload is from its bytes, and refuses it when its name says otherwise: the
 * extension alone is what a user (or an attacker) chose, the content is what the parsers will
 * meet. A file that passes here still may fail in parseDocument (a PDF whose body is damaged).
 */
export function detectFileType(filename: string, bytes: Uint8Array): DetectResult {
  const safe = safeFilename(filename);
  if (!safe.ok) return safe;
  const dot = safe.name.lastIndexOf('.');
  const ext = dot > 0 ? safe.name.slice(dot + 1).toLowerCase() : '';
  const claimed = (DOCUMENT_TYPES as readonly string[]).includes(ext) ? (ext as DocumentType) : null;
  if (!claimed) return { ok: false, code: 'unsupported_type', message: `Only ${DOCUMENT_TYPES.map((t) => `.${t}`).join(', ')} files are accepted; got "${safe.name}"` };
  if (isBlank(bytes)) return { ok: false, code: 'empty_file', message: 'The file is empty' };

  const content = sniff(bytes);
  if (content.kind === 'other') {
    const code = content.code === 'corrupt_file' && claimed !== 'docx' ? 'unsupported_type' : content.code;
    return { ok: false, code, message: `"${safe.name}" is ${content.label}` };
  }
  if (content.kind === 'pdf' || content.kind === 'docx') {
    if (claimed === content.kind) return { ok: true, type: claimed };
    return { ok: false, code: 'type_mismatch', message: `"${safe.name}" is named .${claimed} but is a ${content.kind.toUpperCase()} file` };
  }
  if (claimed === 'pdf' || claimed === 'docx') return { ok: false, code: 'type_mismatch', message: `"${safe.name}" is named .${claimed} but is plain text` };
  try {
    const text = decodeUtf8(bytes);
    if (claimed === 'json') parseJsonText(text);
  } catch (err) {
    if (err instanceof DocumentError) return { ok: false, code: err.code as DetectErrorCode, message: err.message };
    throw err;
  }
  return { ok: true, type: claimed };
}
