/** Writing server-sent events: one `data:` line per line of data, a blank line after each. */

export interface OutgoingEvent {
  readonly data: string;
  readonly event?: string;
  readonly id?: string;
}

export function formatEvent({ data, event, id }: OutgoingEvent): string {
  let out = '';
  if (event !== undefined) out += `event: ${singleLine(event)}\n`;
  if (id !== undefined) out += `id: ${singleLine(id)}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + '\n';
}

/** A comment line: ignored by every SSE client, but it moves bytes through idle proxies. */
export function formatComment(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `: ${line}\n`)
    .join('')
    .concat('\n');
}

export const KEEPALIVE = Buffer.from(formatComment('keepalive'));

function singleLine(value: string): string {
  if (/[\r\n]/.test(value))
    throw new TypeError(`SSE field value must be one line: ${JSON.stringify(value)}`);
  return value;
}
