/**
 * An incremental CSV parser (RFC 4180): fields separated by a delimiter, rows by `\n` or `\r\n`,
 * fields in double quotes may hold delimiters, newlines and doubled quotes (`""`). Chunks may
 * end anywhere, inside a quoted field included. Internal.
 * @module
 */
import { DataError } from '../errors.js';

/** Parses CSV text fed in chunks into rows of strings. @internal */
export class CsvParser {
  #field = '';
  #row: string[] = [];
  #quoted = false; // inside a quoted field
  #afterQuote = false; // just read a quote inside a quoted field (end, or the first of "")
  #fieldStarted = false;
  #cr = false;
  /** The physical line being read (1-based), counting newlines inside quotes. */
  #physical = 1;
  /** The line where the row being read started. */
  #rowStart = 1;
  /** The line where each row returned by the last `push`/`end` started, in order. */
  lines: number[] = [];

  constructor(readonly delimiter: string) {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') throw new DataError(`Data.readCsv: delimiter must be one character other than a quote or a newline, got ${JSON.stringify(delimiter)}`);
  }

  #endField(): void {
    this.#row.push(this.#field);
    this.#field = '';
    this.#fieldStarted = false;
    this.#afterQuote = false;
  }

  #endRow(out: string[][]): void {
    this.#endField();
    const row = this.#row;
    this.#row = [];
    if (!(row.length === 1 && row[0] === '')) { // blank lines are skipped
      out.push(row);
      this.lines.push(this.#rowStart);
    }
    this.#rowStart = this.#physical;
  }

  /** Feeds a chunk; returns the rows it completed. */
  push(chunk: string): string[][] {
    const out: string[][] = [];
    this.lines = [];
    const d = this.delimiter;
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (this.#cr) {
        this.#cr = false;
        if (ch === '\n') continue; // \r\n
      }
      if (ch === '\n' || ch === '\r') this.#physical++;
      if (this.#quoted) {
        if (this.#afterQuote) {
          if (ch === '"') { this.#field += '"'; this.#afterQuote = false; continue; }
          this.#quoted = false;
          this.#afterQuote = false;
          // fall through: the character after the closing quote
        } else if (ch === '"') { this.#afterQuote = true; continue; } else { this.#field += ch; continue; }
      }
      if (ch === d) this.#endField();
      else if (ch === '\n') this.#endRow(out);
      else if (ch === '\r') { this.#endRow(out); this.#cr = true; } else if (ch === '"' && !this.#fieldStarted && this.#field === '') { this.#quoted = true; this.#fieldStarted = true; } else { this.#field += ch; this.#fieldStarted = true; }
    }
    return out;
  }

  /** The last row when the text does not end with a newline. @throws DataError for an unterminated quote. */
  end(): string[][] {
    if (this.#quoted && !this.#afterQuote) throw new DataError(`Data.readCsv: a quoted field on line ${this.#rowStart} is never closed`);
    this.#quoted = false;
    const out: string[][] = [];
    this.lines = [];
    if (this.#field !== '' || this.#row.length > 0 || this.#fieldStarted) this.#endRow(out);
    return out;
  }
}
