import { DocumentError } from './errors';

const BOM = '\uFEFF';

/**
 * Decodes bytes that must be UTF-8 text: strips a BOM, refuses NUL bytes and invalid sequences,
 * and composes accents (NFC) so that "é" typed on a Mac and on Windows is the same string when
 * searched.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  if (bytes.includes(0)) throw new DocumentError('unsupported_type', 'The file contains NUL bytes: it is binary, not text');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new DocumentError('invalid_encoding', 'The file is not UTF-8 text; save it as UTF-8 and upload it again');
  }
  if (text.startsWith(BOM)) text = text.slice(1);
  return text.normalize('NFC');
}

/** True for a file that holds nothing but whitespace (or a lone BOM). */
export function isBlank(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0b && b !== 0x0c) return false;
  }
  return true;
}
