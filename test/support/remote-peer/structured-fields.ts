/**
 * The part of RFC 8941 (Structured Field Values) that RFC 9421 needs: parsing Dictionaries (the
 * `Signature-Input`, `Signature` and `Content-Digest` fields) and serializing Items and Inner
 * Lists (component identifiers and `@signature-params`). Written from the RFC's algorithms
 * (§4.1 serializing, §4.2 parsing); anything outside the grammar throws {@link SfError}.
 */

/** A Token bare item (unquoted, e.g. `sha-256` or `?1`-less identifiers). */
export class SfToken {
  constructor(readonly value: string) {}
}

/** A Decimal bare item, kept apart from Integers so it serializes back with its fraction. */
export class SfDecimal {
  constructor(readonly value: number) {}
}

/** A bare item: Integer (`number`), Decimal, String, Token, Byte Sequence or Boolean. */
export type SfBareItem = number | SfDecimal | string | SfToken | Uint8Array | boolean;

/** Parameters, in order. */
export type SfParams = Map<string, SfBareItem>;

/** An Item: a bare item with parameters. */
export interface SfItem {
  readonly value: SfBareItem;
  readonly params: SfParams;
}

/** An Inner List: items in parentheses, with parameters of its own. */
export interface SfInnerList {
  readonly items: readonly SfItem[];
  readonly params: SfParams;
}

/** A Dictionary member. */
export type SfMember = SfItem | SfInnerList;

/** Thrown for input outside RFC 8941's grammar. */
export class SfError extends Error {
  override readonly name = 'SfError';
}

/** Whether a Dictionary member is an Inner List. */
export function isInnerList(member: SfMember): member is SfInnerList {
  return 'items' in member;
}

/** Parses a Dictionary field value (RFC 8941 §4.2.2); a repeated key keeps its first position. */
export function parseDictionary(input: string): Map<string, SfMember> {
  const parser = new Parser(input);
  const result = new Map<string, SfMember>();
  parser.skipSp();
  if (parser.done()) return result;
  for (;;) {
    const key = parser.key();
    let member: SfMember;
    if (parser.peek() === '=') {
      parser.pos++;
      member = parser.itemOrInnerList();
    } else {
      member = { value: true, params: parser.params() };
    }
    result.set(key, member);
    parser.skipOws();
    if (parser.done()) return result;
    parser.expect(',');
    parser.skipOws();
    if (parser.done()) throw new SfError('trailing comma in dictionary');
  }
}

/** Parses a single Item field value (RFC 8941 §4.2.3). */
export function parseItem(input: string): SfItem {
  const parser = new Parser(input);
  parser.skipSp();
  const item = parser.item();
  parser.skipSp();
  if (!parser.done()) throw new SfError(`unexpected ${JSON.stringify(parser.rest())}`);
  return item;
}

class Parser {
  pos = 0;
  constructor(private readonly input: string) {}

  done(): boolean {
    return this.pos >= this.input.length;
  }

  peek(): string {
    return this.input.charAt(this.pos);
  }

  rest(): string {
    return this.input.slice(this.pos);
  }

  expect(char: string): void {
    if (this.peek() !== char) {
      throw new SfError(`expected ${JSON.stringify(char)} at ${this.pos} in ${this.input}`);
    }
    this.pos++;
  }

  skipSp(): void {
    while (this.peek() === ' ') this.pos++;
  }

  skipOws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  key(): string {
    const match = /^[a-z*][a-z0-9_\-.*]*/.exec(this.rest());
    if (!match) throw new SfError(`invalid key at ${this.pos} in ${this.input}`);
    this.pos += match[0].length;
    return match[0];
  }

  itemOrInnerList(): SfMember {
    return this.peek() === '(' ? this.innerList() : this.item();
  }

  innerList(): SfInnerList {
    this.expect('(');
    const items: SfItem[] = [];
    for (;;) {
      this.skipSp();
      if (this.peek() === ')') {
        this.pos++;
        return { items, params: this.params() };
      }
      items.push(this.item());
      const next = this.peek();
      if (next !== ' ' && next !== ')') throw new SfError(`bad inner list at ${this.pos}`);
    }
  }

  item(): SfItem {
    const value = this.bareItem();
    return { value, params: this.params() };
  }

  params(): SfParams {
    const params: SfParams = new Map();
    while (this.peek() === ';') {
      this.pos++;
      this.skipSp();
      const key = this.key();
      let value: SfBareItem = true;
      if (this.peek() === '=') {
        this.pos++;
        value = this.bareItem();
      }
      params.set(key, value);
    }
    return params;
  }

  bareItem(): SfBareItem {
    const c = this.peek();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    if (c === '"') return this.string();
    if (c === ':') return this.byteSequence();
    if (c === '?') return this.boolean();
    if (c === '*' || /[A-Za-z]/.test(c)) return this.token();
    throw new SfError(`unexpected ${JSON.stringify(c)} at ${this.pos} in ${this.input}`);
  }

  number(): number | SfDecimal {
    const match = /^-?(\d{1,15})(\.(\d{1,3}))?/.exec(this.rest());
    if (!match) throw new SfError(`invalid number at ${this.pos}`);
    const integerPart = match[1] ?? '';
    if (match[2] !== undefined && integerPart.length > 12) throw new SfError('decimal too long');
    this.pos += match[0].length;
    if (/^[0-9.]/.test(this.peek())) throw new SfError('number too long');
    return match[2] === undefined ? Number(match[0]) : new SfDecimal(Number(match[0]));
  }

  string(): string {
    this.expect('"');
    let out = '';
    for (;;) {
      if (this.done()) throw new SfError('unterminated string');
      const c = this.input.charAt(this.pos++);
      if (c === '"') return out;
      if (c === '\\') {
        const next = this.input.charAt(this.pos++);
        if (next !== '"' && next !== '\\') throw new SfError('bad escape in string');
        out += next;
      } else {
        const code = c.charCodeAt(0);
        if (code < 0x20 || code > 0x7e) throw new SfError('non-printable character in string');
        out += c;
      }
    }
  }

  token(): SfToken {
    const match = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/.exec(this.rest());
    if (!match) throw new SfError(`invalid token at ${this.pos}`);
    this.pos += match[0].length;
    return new SfToken(match[0]);
  }

  byteSequence(): Uint8Array {
    this.expect(':');
    const end = this.input.indexOf(':', this.pos);
    if (end < 0) throw new SfError('unterminated byte sequence');
    const b64 = this.input.slice(this.pos, end);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new SfError('invalid base64 in byte sequence');
    this.pos = end + 1;
    return new Uint8Array(Buffer.from(b64, 'base64'));
  }

  boolean(): boolean {
    this.expect('?');
    const c = this.input.charAt(this.pos++);
    if (c === '1') return true;
    if (c === '0') return false;
    throw new SfError('invalid boolean');
  }
}

/** Serializes a bare item (RFC 8941 §4.1.3.1). */
export function serializeBareItem(value: SfBareItem): string {
  if (typeof value === 'boolean') return value ? '?1' : '?0';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new SfError(`not an integer: ${value}`);
    return String(value);
  }
  if (value instanceof SfDecimal) {
    const rounded = Math.round(value.value * 1000) / 1000;
    return Number.isInteger(rounded) ? `${rounded}.0` : String(rounded);
  }
  if (value instanceof SfToken) return value.value;
  if (value instanceof Uint8Array) return `:${Buffer.from(value).toString('base64')}:`;
  if (!/^[\x20-\x7e]*$/.test(value)) throw new SfError('string with non-printable characters');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Serializes parameters (RFC 8941 §4.1.1.2): `;key=value`, or `;key` for true. */
export function serializeParams(params: SfParams): string {
  let out = '';
  for (const [key, value] of params) {
    out += value === true ? `;${key}` : `;${key}=${serializeBareItem(value)}`;
  }
  return out;
}

/** Serializes an Item with its parameters. */
export function serializeItem(item: SfItem): string {
  return serializeBareItem(item.value) + serializeParams(item.params);
}

/** Serializes an Inner List with its parameters. */
export function serializeInnerList(list: SfInnerList): string {
  return `(${list.items.map(serializeItem).join(' ')})${serializeParams(list.params)}`;
}
