/**
 * The whole config as nginx sees it: the main file parsed, each `include` replaced by the
 * directives of the files it names (globs expanded, sorted), every directive keeping the file
 * and line it came from so findings point at the right place.
 */
import { type ConfigSource, includePath, isGlob } from './nginx-sources.ts';
import { type Directive, NginxSyntaxError, parseNginx } from './nginx-syntax.ts';

export interface LoadedConfig {
  readonly directives: readonly Directive[];
  /** Files read, main first. */
  readonly files: readonly string[];
  /** `include` directives left as they are, because the source cannot follow them. */
  readonly unfollowed: readonly Directive[];
}

/** nginx itself has no limit; a file that includes itself would recurse forever. */
const MAX_DEPTH = 16;

export function loadNginxConfig(source: ConfigSource): LoadedConfig {
  const text = source.read(source.main);
  if (text === undefined) throw new NginxSyntaxError(source.main, 0, 'cannot read the file');
  const files = [source.main];
  const unfollowed: Directive[] = [];

  const expand = (directives: readonly Directive[], depth: number): Directive[] =>
    directives.flatMap((directive) => {
      if (directive.name === 'include' && directive.block === undefined) {
        if (source.includesUnavailable !== undefined) {
          unfollowed.push(directive);
          return [];
        }
        return included(directive, depth);
      }
      if (directive.block === undefined) return [directive];
      return [{ ...directive, block: expand(directive.block, depth) }];
    });

  const included = (directive: Directive, depth: number): Directive[] => {
    const [pattern, ...extra] = directive.args;
    if (pattern === undefined || extra.length > 0) {
      throw new NginxSyntaxError(
        directive.file,
        directive.line,
        '"include" takes one file or glob',
      );
    }
    if (depth >= MAX_DEPTH) {
      throw new NginxSyntaxError(
        directive.file,
        directive.line,
        `includes nest deeper than ${MAX_DEPTH} files: does a file include itself?`,
      );
    }
    const path = includePath(source, pattern);
    const paths = isGlob(pattern) ? source.glob(path) : [path];
    return paths.flatMap((file) => {
      const content = source.read(file);
      if (content === undefined) {
        throw new NginxSyntaxError(
          directive.file,
          directive.line,
          `include "${pattern}": cannot read ${file}`,
        );
      }
      if (!files.includes(file)) files.push(file);
      return expand(parseNginx(content, file), depth + 1);
    });
  };

  return { directives: expand(parseNginx(text, source.main), 0), files, unfollowed };
}
