// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are ${VAR} references under test
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvExpansionError, expandEnv, expandEnvWithLines } from '../../src/config/expand-env.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/reader.js';

type Case = [env: Record<string, string>, input: string, output: string];

describe('expandEnv: drone/envsubst semantics (its own test vectors)', () => {
  const table: Case[] = [
    [{}, 'abcdEFGH28ij', 'abcdEFGH28ij'],
    [{ var01: 'abcdEFGH28ij' }, '${#var01}', '12'],
    [{ var01: 'abcdEFGH28ij' }, '${var01^}', 'AbcdEFGH28ij'],
    [{ var01: 'abcdEFGH28ij' }, '${var01^^}', 'ABCDEFGH28IJ'],
    [{ var01: 'ABCDEFGH28IJ' }, '${var01,}', 'aBCDEFGH28IJ'],
    [{ var01: 'ABCDEFGH28IJ' }, '${var01,,}', 'abcdefgh28ij'],
    [{ path_name: '/home/bozo/ideas/thoughts.for.today' }, '${path_name:11}', 'ideas/thoughts.for.today'],
    [{ path_name: '/home/bozo/ideas/thoughts.for.today' }, '${path_name:11:5}', 'ideas'],
    [{ var: 'abc' }, '${var=abc}', 'abc'],
    [{}, '${var=xyz}', 'xyz'],
    [{ default_var: 'foo' }, 'something ${var=${default_var}}', 'something foo'],
    [{ default_var: 'foo1' }, 'foo: ${var=${default_var}-suffix}', 'foo: foo1-suffix'],
    [{ default_var: 'foo1' }, 'foo: ${var=prefix${default_var}-suffix}', 'foo: prefixfoo1-suffix'],
    [{}, '${var:=xyz}', 'xyz'],
    [{ stringZ: 'abcABC123ABCabc' }, '${stringZ/%abc/XYZ}', 'abcABC123ABCXYZ'],
    [{ stringZ: 'abcABC123ABCabc' }, '${stringZ/#abc/XYZ}', 'XYZABC123ABCabc'],
    [{ stringZ: 'abcABC123ABCabc' }, '${stringZ//abc/xyz}', 'xyzABC123ABCxyz'],
    [{ stringZ: 'abcABC123ABCabc' }, '${stringZ/abc/xyz}', 'xyzABC123ABCabc'],
    [{ filename: 'bash.string.txt' }, '${filename#*.}', 'string.txt'],
    [{ filename: 'path/to/file' }, '${filename#*/}', 'to/file'],
    [{ filename: '/path/to/file' }, '${filename#*/}', 'path/to/file'],
    [{ filename: 'bash.string.txt' }, '${filename##*.}', 'txt'],
    [{ filename: 'path/to/file' }, '${filename##*/}', 'file'],
    [{ filename: '/path/to/file' }, '${filename##*/}', 'file'],
    [{ filename: 'bash.string.txt' }, '${filename%.*}', 'bash.string'],
    [{ filename: 'bash.string.txt' }, '${filename%%.*}', 'bash'],
    [{ var01: 'abcdEFGH28ij' }, '${var=${var01^^}}', 'ABCDEFGH28IJ'],
    [{ var01: 'abcdEFGH28ij' }, '$${var01}', '${var01}'],
    [
      { var01: 'abcdEFGH28ij' },
      'some text ${var01}$${var$${var01}$var01${var01}',
      'some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij',
    ],
    [{ default_var: 'foo' }, 'something $${var=${default_var}}', 'something ${var=foo}'],
    [{ stringZ: 'foo/bar' }, '${stringZ/\\//-}', 'foo-bar'],
    [{ stringZ: 'foo/bar/baz' }, '${stringZ//\\//-}', 'foo-bar-baz'],
    [{ stringZ: 'foo.bar' }, '${stringZ/./}', 'foobar'],
  ];
  for (const [env, input, output] of table) {
    it(`${input} → ${output}`, () => assert.equal(expandEnv(input, env), output));
  }
});

describe('expandEnv: what Promtail configs meet', () => {
  const table: [name: string, ...Case][] = [
    ['unset is empty', {}, 'url: ${LOKI_URL}', 'url: '],
    ['default when unset', {}, 'url: ${LOKI_URL:-http://loki:3100}', 'url: http://loki:3100'],
    ['default when empty (drone cannot tell)', { A: '' }, '${A:-d} ${A=d} ${A:=d}', 'd d d'],
    ['value when set', { A: 'x' }, '${A:-d}', 'x'],
    ['nested default', { B: 'b' }, '${A:-${B:-c}}', 'b'],
    ['$VAR stays as it is', { VAR: 'x' }, 'a: $VAR', 'a: $VAR'],
    ['a lone $ stays', {}, 'cost: 5$ and $', 'cost: 5$ and $'],
    ['$$ is $', { A: 'x' }, '$$A $$ $${A}', '$A $ ${A}'],
    ['$$$ then a reference', { A: 'x' }, '$$${A}', '$x'],
    ['\\\\ becomes \\ (Promtail documents it)', {}, "regex: '^(?P<n>\\\\d+)'", "regex: '^(?P<n>\\d+)'"],
    ['\\/ becomes /', {}, 'a: \\/b', 'a: /b'],
    ['other backslashes stay', {}, 'a: \\d\\s', 'a: \\d\\s'],
    ['substring from the end', { A: 'abcdef' }, '${A:-3}', 'abcdef'],
    ['negative offset, drone style', { A: 'abcdef' }, '${A: -3}', 'abcdef'],
    ['length in bytes', { A: 'é' }, '${#A}', '2'],
    ['names with digits and underscores', { A_1: 'v' }, '${A_1}', 'v'],
    ['a variable really named with a dash', { 'my-var': 'v' }, '${my-var}', 'v'],
    ['a reference inside a YAML string', { H: 'h' }, 'host: "${H}-1"', 'host: "h-1"'],
  ];
  for (const [name, env, input, output] of table) it(name, () => assert.equal(expandEnv(input, env), output));
});

describe('expandEnv: the shell forms drone/envsubst gets wrong', () => {
  const table: [name: string, ...Case][] = [
    ['${VAR-word}: word when unset', {}, '${A-word}', 'word'],
    ['${VAR-word}: empty stays empty', { A: '' }, '${A-word}', ''],
    ['${VAR-word}: value when set', { A: 'v' }, '${A-word}', 'v'],
    ['${VAR-word} with a path and port', {}, '${HOST-loki:3100/x}', 'loki:3100/x'],
    ['${VAR:+word}: word when set and not empty', { A: 'v' }, '[${A:+w}]', '[w]'],
    ['${VAR:+word}: empty when empty', { A: '' }, '[${A:+w}]', '[]'],
    ['${VAR+word}: word when set, even empty', { A: '' }, '[${A+w}]', '[w]'],
    ['${VAR+word}: empty when unset', {}, '[${A+w}]', '[]'],
    ['${VAR:?msg}: value when set', { A: 'v' }, '${A:?needed}', 'v'],
    ['${VAR?msg}: empty is set', { A: '' }, '[${A?needed}]', '[]'],
  ];
  for (const [name, env, input, output] of table) it(name, () => assert.equal(expandEnv(input, env), output));

  it('${VAR:?msg} rejects an unset or empty variable with the message and its line', () => {
    for (const env of [{}, { LOKI_URL: '' }]) {
      assert.throws(
        () => expandEnv('a: 1\nurl: ${LOKI_URL:?set LOKI_URL to the push URL}\n', env),
        (e: unknown) =>
          e instanceof EnvExpansionError &&
          e.line === 2 &&
          e.reason === 'LOKI_URL: set LOKI_URL to the push URL',
      );
    }
    assert.throws(() => expandEnv('${A?}', {}), /A: variable is not set/);
  });
});

describe('expandEnv: malformed references', () => {
  const table: [input: string, line: number][] = [
    ['a: ${FOO', 1],
    ['a: 1\nb: ${FOO.bar}', 2],
    ['a: ${}', 1],
    ['a: ${ FOO }', 1],
    ['a: 1\n\nb: ${FOO:-x', 3],
    ['${A:}', 1],
    ['${A/x}', 1],
    ['${A#}', 1],
  ];
  for (const [input, line] of table) {
    it(JSON.stringify(input), () => {
      assert.throws(
        () => expandEnv(input, { FOO: 'x', A: 'y' }),
        (e: unknown) =>
          e instanceof EnvExpansionError && e.line === line && /bad substitution/.test(e.reason),
      );
    });
  }
});

describe('expandEnvWithLines', () => {
  it('maps lines of the result back when a value has newlines', () => {
    const r = expandEnvWithLines('a: 1\nb: ${TWO}\nc: 3\nd: 4\n', { TWO: 'x\ny\nz' });
    assert.equal(r.text, 'a: 1\nb: x\ny\nz\nc: 3\nd: 4\n');
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((l) => r.originalLine(l)),
      [1, 2, 2, 2, 3, 4],
    );
  });
});

describe('parseConfig with and without -config.expand-env', () => {
  const text = 'clients:\n  - url: ${LOKI_URL}\n    tenant_id: ${TENANT:-}\n';
  const env = { LOKI_URL: 'http://loki:3100/loki/api/v1/push' };

  it('expands when asked, with the environment given', () => {
    const c = parseConfig(text, 'p.yaml', { expandEnv: true, env });
    assert.equal(c.clients[0]!.url, env.LOKI_URL);
    assert.equal(c.clients[0]!.tenantId, undefined);
  });

  it('reads process.env by default', () => {
    process.env.LOGFERRY_TEST_URL = env.LOKI_URL;
    try {
      const c = parseConfig('clients:\n  - url: ${LOGFERRY_TEST_URL}\n', 'p.yaml', { expandEnv: true });
      assert.equal(c.clients[0]!.url, env.LOKI_URL);
    } finally {
      delete process.env.LOGFERRY_TEST_URL;
    }
  });

  it('leaves the text alone when not asked', () => {
    assert.throws(
      () => parseConfig(text, 'p.yaml', { expandEnv: false, env }),
      (e: unknown) =>
        e instanceof ConfigError && e.line === 2 && /invalid URL "\$\{LOKI_URL\}"/.test(e.message),
    );
    const c = parseConfig(`clients:\n  - url: ${env.LOKI_URL}\n    tenant_id: '$$` + "{T}'\n", 'p.yaml', {
      expandEnv: false,
    });
    assert.equal(c.clients[0]!.tenantId, '$${T}');
  });

  it('a bad reference is a ConfigError with file and line', () => {
    assert.throws(
      () => parseConfig('clients:\n  - url: ${LOKI_URL\n', 'p.yaml', { expandEnv: true, env }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.file === 'p.yaml' &&
        e.line === 2 &&
        /-config.expand-env: bad substitution/.test(e.message),
    );
  });

  it('errors after a multi-line value still name the line of the file', () => {
    const file = 'server:\n  http_listen_address: "${ADDR}"\nclients:\n  - url: ${LOKI_URL}\n    bogus: 1\n';
    assert.throws(
      () => parseConfig(file, 'p.yaml', { expandEnv: true, env: { ...env, ADDR: 'a\\n\n    b' } }),
      (e: unknown) => e instanceof ConfigError && e.line === 5 && e.key === 'clients[0].bogus',
    );
  });
});
