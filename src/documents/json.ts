import { parse as parseTolerant, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { DocumentError } from './errors';

const PROBLEMS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'a quoted property name was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: 'a colon was expected',
  CommaExpected: 'a comma was expected',
  CloseBraceExpected: 'a closing brace was expected',
  CloseBracketExpected: 'a closing bracket was expected',
  EndOfFileExpected: 'unexpected content after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed',
  UnexpectedEndOfComment: 'comments are not allowed',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'malformed number',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'control character inside a string',
};

/** Deeper than any listing export or FAQ file needs, and far from what recursion can take. */
export const MAX_JSON_DEPTH = 64;

/**
 * Where brackets first nest deeper than `limit`, without parsing: the tolerant parser below and
 * every walk over a parsed value recurse, and 100,000 `[` overflow the stack. Strings end where
 * that parser ends them (a quote, or a line break it reports as an unclosed string), so it never
 * meets brackets this scan did not count.
 */
function tooDeepAt(text: string, limit: number): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22 || c === 0x0a || c === 0x0d) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return null;
}

/**
 * JSON.parse, but a failure says where: V8 on Node 20 leaves the position out of some messages,
 * so a strict tolerant parser is run over the text only when JSON.parse has already refused it.
 * Nesting deeper than MAX_JSON_DEPTH is refused first, valid or not.
 */
export function parseJsonText(text: string): unknown {
  const deep = tooDeepAt(text, MAX_JSON_DEPTH);
  if (deep !== null) {
    const { line, column } = lineAndColumn(text, deep);
    throw new DocumentError('invalid_json', `The JSON nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep (at line ${line}, column ${column}, position ${deep})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const errors: ParseError[] = [];
    parseTolerant(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    const v8Position = /position (\d+)/.exec(err instanceof Error ? err.message : '');
    const offset = first ? first.offset : v8Position ? Number(v8Position[1]) : null;
    const problem = first ? PROBLEMS[printParseErrorCode(first.error)] ?? 'invalid syntax' : err instanceof Error ? err.message : 'invalid syntax';
    if (offset === null) throw new DocumentError('invalid_json', `The file is not valid JSON: ${problem}`);
    const { line, column } = lineAndColumn(text, offset);
    throw new DocumentError('invalid_json', `The file is not valid JSON: ${problem} at line ${line}, column ${column} (position ${offset})`);
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
