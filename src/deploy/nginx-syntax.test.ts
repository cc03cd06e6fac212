import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Directive, NginxSyntaxError, parseNginx } from './nginx-syntax.ts';

/** name and args, blocks nested: enough to compare trees. */
function shape(directives: readonly Directive[]): unknown[] {
  return directives.map((d) =>
    d.block === undefined ? [d.name, ...d.args] : [d.name, ...d.args, shape(d.block)],
  );
}

function syntaxError(text: string): NginxSyntaxError {
  try {
    parseNginx(text, 'x.conf');
  } catch (error) {
    assert.ok(error instanceof NginxSyntaxError);
    return error;
  }
  assert.fail('expected a syntax error');
}

describe('nginx syntax', () => {
  it('reads directives and nested blocks, with their lines', () => {
    const parsed = parseNginx('http {\n  server {\n    listen 80;\n  }\n}\n', 'a.conf');
    assert.deepEqual(shape(parsed), [['http', [['server', [['listen', '80']]]]]]);
    const [http] = parsed;
    const [server] = http?.block ?? [];
    const [listen] = server?.block ?? [];
    assert.equal(listen?.line, 3);
    assert.equal(listen.file, 'a.conf');
  });

  it('skips comments, but a # inside a word or a string is text', () => {
    const parsed = parseNginx(
      '# proxy_buffering on;\nset $a "x # y; {z}"; # trailing\nset $b c#d;\n',
      'a.conf',
    );
    assert.deepEqual(shape(parsed), [
      ['set', '$a', 'x # y; {z}'],
      ['set', '$b', 'c#d'],
    ]);
  });

  it('unquotes strings as nginx does: escaped quotes and backslashes, control characters', () => {
    const parsed = parseNginx(
      `a "say \\"hi\\"" 'it\\'s' "tab\\there" "back\\\\slash" "keep\\d";`,
      'a.conf',
    );
    assert.deepEqual(parsed[0]?.args, ['say "hi"', "it's", 'tab\there', 'back\\slash', 'keep\\d']);
  });

  it('keeps a regex backslash and a ${var} brace in a bare word', () => {
    const parsed = parseNginx('location ~ ^/v1/(.*)\\.json$ { set $x ${host}y; }', 'a.conf');
    assert.deepEqual(shape(parsed), [
      ['location', '~', '^/v1/(.*)\\.json$', [['set', '$x', '${host}y']]],
    ]);
  });

  it('skips a Lua block whose body is not nginx syntax', () => {
    const parsed = parseNginx(
      'content_by_lua_block { ngx.say("}") if a then b() end }\nlisten 80;',
      'a.conf',
    );
    assert.deepEqual(shape(parsed), [
      ['content_by_lua_block', []],
      ['listen', '80'],
    ]);
  });

  it('says where the syntax breaks', () => {
    const missingSemicolon = syntaxError('server {\n  listen 80\n}\n');
    assert.equal(missingSemicolon.line, 3);
    assert.match(missingSemicolon.reason, /"listen" on line 2 needs ";"/);
    assert.match(syntaxError('listen 80;\n}\n').reason, /unexpected "}"/);
    const unclosed = syntaxError('http {\n  server {\n  }\n');
    assert.match(unclosed.reason, /end of file.*opened on line 1/);
    const quote = syntaxError('a;\nb "never closed;\n');
    assert.equal(quote.line, 2);
    assert.match(quote.reason, /unterminated double-quoted string/);
    assert.match(syntaxError('a "b"c;').reason, /unexpected "c" after a quoted string/);
    assert.match(syntaxError('{ a; }').reason, /unexpected "{"/);
    assert.equal(
      syntaxError('a;\n\nb').message,
      'x.conf:3: unexpected end of file: "b" on line 3 needs ";" or "{"',
    );
  });
});
