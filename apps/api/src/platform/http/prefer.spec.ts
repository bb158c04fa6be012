import { prefersMinimalReturn } from './prefer';

describe('prefersMinimalReturn', () => {
  it.each([
    ['return=minimal', true],
    ['Return=Minimal', true],
    ['return="minimal"', true],
    [' respond-async , return=minimal ; foo=bar', true],
    [['respond-async', 'return=minimal'], true],
    ['return=representation', false],
    ['return=representation, return=minimal', false],
    ['minimal', false],
    ['returns=minimal', false],
    ['return=', false],
    ['', false],
    [undefined, false],
  ])('%j → %s', (header, expected) => {
    expect(prefersMinimalReturn(header)).toBe(expected);
  });
});
