import { COMMON_PASSWORDS } from './common-passwords';
import { passwordWeakness } from './password-policy';

describe('password policy', () => {
  const email = 'grace.hopper@example.com';

  it('accepts a long passphrase', () => {
    expect(passwordWeakness('violet lighthouse at dusk', email)).toBeNull();
  });

  it('counts characters as people do (an emoji is one)', () => {
    expect(passwordWeakness('🐙'.repeat(5) + 'abcdef', email)).toMatch(/at least 12/);
    expect(passwordWeakness('🐙🦑'.repeat(3) + 'abcdefgh', email)).toBeNull();
  });

  it('rejects every shipped common password, whatever its case', () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThanOrEqual(100);
    for (const common of COMMON_PASSWORDS) {
      expect(passwordWeakness(common.toUpperCase(), email)).not.toBeNull();
    }
  });

  it("rejects a password containing the email's local part, but not a very short one", () => {
    expect(passwordWeakness('xx-GRACE.HOPPER-xx', email)).toMatch(/email/);
    expect(passwordWeakness('a perfectly fine one', 'al@example.com')).toBeNull();
  });

  it('rejects more than 128 characters', () => {
    expect(passwordWeakness('ab'.repeat(65), email)).toMatch(/at most 128/);
  });
});
