import { emailPseudonym, isPseudonym } from './customer-erasure';

describe('email pseudonyms', () => {
  it('are random tokens on a domain that takes no mail, and recognised as such', () => {
    const first = emailPseudonym();
    expect(first).toMatch(/^erased-[0-9a-f]{20}@erased\.invalid$/);
    expect(emailPseudonym()).not.toBe(first);
    expect(emailPseudonym(() => Buffer.alloc(10, 0xab))).toBe('erased-abababababababababab@erased.invalid');
    expect(isPseudonym(first)).toBe(true);
    expect(isPseudonym('trader@example.com')).toBe(false);
  });
});
