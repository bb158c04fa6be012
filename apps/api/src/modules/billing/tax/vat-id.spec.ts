import { checkVatId } from './vat-id';

describe('VAT id format per country', () => {
  it.each([
    ['DE', 'de 123 456 789', 'DE123456789'],
    ['DE', '123456789', 'DE123456789'],
    ['FR', 'FR 40 303 265 045', 'FR40303265045'],
    ['NL', 'NL123456789B01', 'NL123456789B01'],
    ['GR', '094259216', 'EL094259216'],
    ['AT', 'ATU12345678', 'ATU12345678'],
    ['IE', '1234567WA', 'IE1234567WA'],
    ['GB', 'GB 394 1275 60', 'GB394127560'],
  ])('%s %s → %s', (country, raw, normalized) => {
    expect(checkVatId(country, raw)).toEqual({ valid: true, vatId: normalized });
  });

  it('refuses ids in the wrong format, with the reason', () => {
    expect(checkVatId('DE', 'DE12345678')).toEqual({
      valid: false,
      reason: 'DE12345678 is not in the format of a DE VAT id',
    });
    expect(checkVatId('DE', 'FR40303265045')).toEqual({
      valid: false,
      reason: 'a DE VAT id starts with DE, not FR',
    });
    expect(checkVatId('AT', '12345678')).toMatchObject({ valid: false });
    expect(checkVatId('US', '123456789')).toEqual({
      valid: false,
      reason: 'VAT ids are only taken for EU member states and GB, not US',
    });
  });
});
