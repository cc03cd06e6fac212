/**
 * Which settings apply where. nginx's http module merges configuration downwards:
 * http → server → location → nested location (and `if` inside a location); a directive set in
 * an inner scope replaces the outer one. List-like directives (`proxy_set_header`, `add_header`,
 * `proxy_ignore_headers`) are inherited only by a scope that sets none of its own — the classic
 * trap where one `proxy_set_header` in a location silently drops all of the server's.
 */
import type { Directive } from './nginx-syntax.ts';

export type ScopeKind = 'main' | 'http' | 'server' | 'location' | 'if';

export interface Scope {
  readonly kind: ScopeKind;
  /** The block directive that opens the scope; absent for the top of the file. */
  readonly opener?: Directive;
  /** Directives directly inside, blocks included. */
  readonly directives: readonly Directive[];
  readonly parent?: Scope;
}

/** A location (or `if` in one) that proxies: where Sluice's streams pass. */
export interface ProxyLocation {
  readonly scope: Scope;
  readonly proxyPass: Directive;
  /** e.g. `location /v1/ in server chat.example.com`. */
  readonly label: string;
}

/** Blocks that carry http settings; others (`events`, `upstream`, `map`, `stream`…) do not. */
const CHILD_KINDS: Readonly<Record<ScopeKind, readonly ScopeKind[]>> = {
  // A file linted on its own may hold server blocks at the top: a site file for `include`.
  main: ['http', 'server'],
  http: ['server'],
  server: ['location', 'if'],
  location: ['location', 'if'],
  if: [],
};

export function rootScope(directives: readonly Directive[]): Scope {
  return { kind: 'main', directives };
}

/** Every scope under `scope` (itself included), outermost first. */
export function allScopes(scope: Scope): Scope[] {
  const children = scope.directives.flatMap((directive) => {
    const kind = directive.name as ScopeKind;
    if (directive.block === undefined || !CHILD_KINDS[scope.kind].includes(kind)) return [];
    return allScopes({ kind, opener: directive, directives: directive.block, parent: scope });
  });
  return [scope, ...children];
}

export function proxyLocations(root: Scope): ProxyLocation[] {
  return allScopes(root).flatMap((scope) => {
    if (scope.kind !== 'location' && scope.kind !== 'if') return [];
    const proxyPass = own(scope, 'proxy_pass').at(-1);
    return proxyPass === undefined ? [] : [{ scope, proxyPass, label: label(scope) }];
  });
}

/** The scope and its ancestors, innermost first. */
export function chain(scope: Scope): Scope[] {
  const scopes: Scope[] = [];
  for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) scopes.push(s);
  return scopes;
}

/** The directive that decides `name` for this scope: the innermost one set (last wins). */
export function effective(scope: Scope, name: string): Directive | undefined {
  for (const s of chain(scope)) {
    const found = own(s, name).at(-1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A list-like directive's entries: those of the innermost scope that has any. */
export function effectiveList(scope: Scope, name: string): Directive[] {
  for (const s of chain(scope)) {
    const found = own(s, name);
    if (found.length > 0) return found;
  }
  return [];
}

/** `proxy_set_header NAME …` entries in force, by lower-cased header name. */
export function headerSet(scope: Scope, directive: string, header: string): Directive | undefined {
  return effectiveList(scope, directive).find(
    (d) => d.args[0]?.toLowerCase() === header.toLowerCase(),
  );
}

/** Directives named `name` directly in the scope. */
export function own(scope: Scope, name: string): Directive[] {
  return scope.directives.filter((d) => d.name === name && d.block === undefined);
}

/** `upstream NAME { … }` blocks anywhere in the config, by name. */
export function upstreamBlocks(directives: readonly Directive[]): Map<string, Directive> {
  const found = new Map<string, Directive>();
  const visit = (list: readonly Directive[]) => {
    for (const d of list) {
      if (d.block === undefined) continue;
      if (d.name === 'upstream' && d.args[0] !== undefined) found.set(d.args[0], d);
      else if (d.name === 'http') visit(d.block);
    }
  };
  visit(directives);
  return found;
}

function label(scope: Scope): string {
  const parts: string[] = [];
  for (const s of chain(scope)) {
    if (s.kind === 'location' || s.kind === 'if') {
      parts.push(`${s.kind} ${s.opener?.args.join(' ') ?? ''}`.trim());
    } else if (s.kind === 'server') {
      const name = own(s, 'server_name')[0]?.args[0];
      const listen = own(s, 'listen')[0]?.args[0];
      if (name !== undefined) parts.push(`server ${name}`);
      else parts.push(listen === undefined ? 'server' : `server (listen ${listen})`);
    }
  }
  return parts.join(' in ');
}
