/** nginx's value syntax for times (`60`, `60s`, `1h30m`, `500ms`) and sizes (`1m`, `32M`, `8k`). */

const TIME_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  M: 30 * 86_400_000,
  y: 365 * 86_400_000,
};

/** Milliseconds; a bare number is seconds (ngx_parse_time). `undefined` if it is not a time. */
export function parseNginxTime(text: string): number | undefined {
  const parts = [...text.replaceAll(' ', '').matchAll(/(\d+)(ms|[smhdwMy])?/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.replaceAll(' ', '')) {
    return undefined;
  }
  return parts.reduce((sum, [, digits = '0', unit = 's']) => {
    return sum + Number(digits) * (TIME_UNITS[unit] ?? 1000);
  }, 0);
}

/** Bytes; a bare number is bytes (ngx_parse_size). `undefined` if it is not a size. */
export function parseNginxSize(text: string): number | undefined {
  const match = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase();
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Number(match[1]) * factor;
}

/** `90000` ms as `90 s`, `3600000` as `3600 s`: how findings quote a time. */
export function formatSeconds(ms: number): string {
  return `${ms / 1000} s`;
}
