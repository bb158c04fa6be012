import { RecognizeCommand } from './recognition.commands';
import { ReconcileCommand } from './reconcile.commands';

// The CLI's day options say what a day is, whatever was typed: an impossible date in the right
// shape (2026-13-45) threw the runtime's "Invalid time value" from `recognize --through`, and
// `reconcile --date 2026-02-30` was let through to fail later in the service.
describe('CLI day options', () => {
  const through = (value: string) => RecognizeCommand.prototype.parseThrough.call(undefined, value);
  const date = (value: string) => ReconcileCommand.prototype.parseDate.call(undefined, value);

  it.each(['2026-13-45', '2026-02-30', '2026-1-05', 'yesterday', ''])('refuses %p by name', (value) => {
    expect(() => through(value)).toThrow('--through must be a calendar day YYYY-MM-DD');
    expect(() => date(value)).toThrow('--date must be a UTC day, YYYY-MM-DD');
  });

  it.each(['2026-02-28', '2024-02-29', '2026-12-31'])('accepts the day %p as given', (value) => {
    expect(through(value)).toBe(value);
    expect(date(value)).toBe(value);
  });
});
