/**
 * Compose's variable interpolation, as the Compose Specification has it (12-interpolation.md)
 * and compose-go implements it (template/template.go): `$NAME`, `${NAME}`, and `${NAME:-default}`,
 * `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`, `${NAME:+alt}`, `${NAME+alt}`, nested in
 * the default; `$$` is a literal `$`. An unset variable without a default is the empty string.
 *
 * Written for issue #14: Debian's podman-compose 1.0.3 passes `${VAR:-}` (an empty default) on
 * literally, so a container got `BASE_URL=${BASE_URL:-}`.
 */

/** The variables a template is read against (the environment, or .env). */
export type Variables = Readonly<Record<string, string | undefined>>;

export interface Interpolated {
  readonly value: string;
  /** Variables used without a value and without a default (Compose warns about each). */
  readonly unset: readonly string[];
}

const NAME = /^[_a-z][_a-z0-9]*/i;
const OPERATORS = [':-', '-', ':?', '?', ':+', '+'] as const;
type Operator = (typeof OPERATORS)[number];

export class InterpolationError extends Error {}

export function interpolate(template: string, variables: Variables): Interpolated {
  const unset: string[] = [];
  const value = substitute(template, variables, unset);
  return { value, unset };
}

function substitute(template: string, variables: Variables, unset: string[]): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) return out + template.slice(i);
    out += template.slice(i, dollar);
    const next = template[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const close = closingBrace(template, dollar + 1);
      if (close < 0) throw new InterpolationError(`invalid template: "${template}" (no closing })`);
      out += braced(template.slice(dollar + 2, close), template, variables, unset);
      i = close + 1;
    } else {
      const name = NAME.exec(template.slice(dollar + 1))?.[0];
      if (name === undefined) {
        out += '$'; // not a variable: kept as it is
        i = dollar + 1;
      } else {
        out += lookup(name, variables, unset);
        i = dollar + 1 + name.length;
      }
    }
  }
  return out;
}

/** The index of the `}` closing the `{` at `open`, counting nested `${…}`. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** The inside of `${…}`: a name, then optionally an operator and a word. */
function braced(inner: string, template: string, variables: Variables, unset: string[]): string {
  const name = NAME.exec(inner)?.[0];
  if (name === undefined) throw new InterpolationError(`invalid template: "${template}"`);
  const rest = inner.slice(name.length);
  if (rest === '') return lookup(name, variables, unset);
  const operator = OPERATORS.find((op) => rest.startsWith(op));
  if (operator === undefined) throw new InterpolationError(`invalid template: "${template}"`);
  const word = rest.slice(operator.length);
  return apply(operator, name, variables[name], () => substitute(word, variables, unset));
}

function apply(
  operator: Operator,
  name: string,
  value: string | undefined,
  word: () => string,
): string {
  switch (operator) {
    case ':-':
      return value === undefined || value === '' ? word() : value;
    case '-':
      return value ?? word();
    case ':+':
      return value === undefined || value === '' ? '' : word();
    case '+':
      return value === undefined ? '' : word();
    case ':?':
    case '?':
      if (value === undefined || (operator === ':?' && value === ''))
        throw new InterpolationError(
          `required variable ${name} is missing a value${word() === '' ? '' : `: ${word()}`}`,
        );
      return value;
  }
}

function lookup(name: string, variables: Variables, unset: string[]): string {
  const value = variables[name];
  if (value === undefined) unset.push(name);
  return value ?? '';
}
