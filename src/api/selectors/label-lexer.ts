/**
 * @module api/selectors/label-lexer
 * The lexer of label selector strings, after k8s.io/apimachinery/pkg/labels (Lexer): special
 * symbols `= == != ! ( ) , > <`, the keywords `in` and `notin`, and identifiers (every run of
 * other non-blank characters). Pure; linear in the input.
 */

/** TokenKind is the kind of one scanned token. */
export type TokenKind =
  | 'end' | 'error' | 'identifier' | 'in' | 'notin'
  | '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<';

/** Token is one scanned token and its literal text. */
export interface Token {
  readonly kind: TokenKind;
  readonly literal: string;
}

const symbolTokens: ReadonlyMap<string, TokenKind> = new Map<string, TokenKind>([
  [')', ')'], [',', ','], ['!', '!'], ['==', '=='], ['=', '='], ['>', '>'], ['<', '<'],
  ['!=', '!='], ['(', '('],
]);

function isWhitespace(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\r' || char === '\n';
}

function isSpecialSymbol(char: string): boolean {
  return '=!(),><'.includes(char);
}

/** Scans `text` into tokens; the last token is always `end`. */
export function scanLabelSelector(text: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  for (;;) {
    while (position < text.length && isWhitespace(text[position]!)) position += 1;
    if (position >= text.length) {
      tokens.push({ kind: 'end', literal: '' });
      return tokens;
    }
    const scanned = isSpecialSymbol(text[position]!)
      ? scanSpecialSymbol(text, position)
      : scanIdentifier(text, position);
    tokens.push(scanned.token);
    position = scanned.next;
  }
}

function scanIdentifier(text: string, start: number): { token: Token; next: number } {
  let end = start;
  while (end < text.length && !isSpecialSymbol(text[end]!) && !isWhitespace(text[end]!)) end += 1;
  const literal = text.slice(start, end);
  const kind: TokenKind = literal === 'in' || literal === 'notin' ? literal : 'identifier';
  return { token: { kind, literal }, next: end };
}

/** Scans the longest run of special symbols that forms a token (`!=` rather than `!`). */
function scanSpecialSymbol(text: string, start: number): { token: Token; next: number } {
  let buffer = '';
  let last: Token | undefined;
  let next = start;
  for (let position = start; position < text.length && isSpecialSymbol(text[position]!);
    position += 1) {
    buffer += text[position]!;
    const kind = symbolTokens.get(buffer);
    if (kind !== undefined) {
      last = { kind, literal: buffer };
      next = position + 1;
    } else if (last !== undefined) {
      break;
    }
  }
  if (last === undefined) {
    return { token: { kind: 'error', literal: `error expected: keyword found '${buffer}'` },
      next: start + buffer.length };
  }
  return { token: last, next };
}
