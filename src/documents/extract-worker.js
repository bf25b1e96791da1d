// @ts-check
/**
 * Runs in a worker thread, started by extract.ts: PDF and DOCX parsers meet untrusted bytes, and
 * here a hostile file can exhaust only this thread's memory limit or be cut off by the caller's
 * timer. Plain CommonJS because a worker thread loads files outside any TypeScript loader (jest's
 * included), and natively, which is also what lets it import pdf.js's ES modules.
 */
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');

/** @param {Uint8Array} data */
async function pdfText(data) {
  const pdfjs = await import(pathToFileURL(require.resolve('pdfjs-dist/legacy/build/pdf.mjs')).href);
  const doc = await pdfjs.getDocument({
    data,
    // pdf.js can compile font programs with eval; untrusted input must not reach that path.
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
  }).promise;
  try {
    const pages = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      pages.push(content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''));
      page.cleanup();
    }
    return { text: pages.join('\n\n'), pages: doc.numPages };
  } finally {
    await doc.destroy();
  }
}

/** @param {Uint8Array} data */
async function docxText(data) {
  const mammoth = require('mammoth');
  const result = await mammoth.extractRawText({ buffer: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });
  return { text: result.value };
}

async function main() {
  const { kind, bytes } = workerData;
  try {
    const result = kind === 'pdf' ? await pdfText(bytes) : await docxText(bytes);
    parentPort?.postMessage({ ok: true, ...result });
  } catch (err) {
    const e = /** @type {{ name?: string, message?: string }} */ (err ?? {});
    parentPort?.postMessage({ ok: false, name: String(e.name ?? 'Error'), message: String(e.message ?? err) });
  }
}

void main();
