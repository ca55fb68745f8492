import { firstDuplicateKey } from '../../src/http/json-keys';

describe('duplicate JSON keys', () => {
  it.each([
    ['{"quantity":1,"userId":"u","quantity":999999}', 'quantity'],
    ['{"a":{"b":1,"b":2}}', 'a.b'],
    ['{"lines":[{"x":1},{"x":2,"y":1,"y":3}]}', 'lines.1.y'],
    ['{"a\\"b":1,"a\\"b":2}', 'a"b'],
    ['{"\\u0071":1,"q":2}', 'q'],
  ])('finds the repeated key in %s', (text, path) => {
    expect(firstDuplicateKey(text)).toBe(path);
  });

  it.each([
    '{"quantity":1,"userId":"quantity"}',
    '{"a":{"b":1},"c":{"b":2}}',
    '[{"a":1},{"a":2}]',
    '{"s":"{\\"a\\":1,\\"a\\":2}"}',
    '{"a":[1,{"a":1}],"b":{"a":[{"a":1}]}}',
    '"just a string"',
    '42',
  ])('accepts %s, where no object repeats a key', (text) => {
    expect(firstDuplicateKey(text)).toBeNull();
  });
});
