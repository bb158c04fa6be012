import { AppError } from '../../../platform/http/app-error';
import { correctLines } from './regeneration-corrections';

const plan = { position: 1, quantity: 3, unitAmount: 4900, amount: 14700, discount: 0, kind: 'plan' };
const usage = { position: 2, quantity: 120, unitAmount: 5, amount: 600, discount: 0, kind: 'usage' };

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('correctLines (regenerate with corrected quantities)', () => {
  it('bills a corrected line its new quantity at the same unit price and copies the others', () => {
    expect(correctLines('USD', [plan, usage], [{ position: 1, quantity: 2 }])).toEqual([
      { ...plan, quantity: 2, amount: 9800 },
      usage,
    ]);
    expect(correctLines('USD', [plan, usage], [])).toEqual([plan, usage]);
    // Zero-decimal currencies multiply the same way.
    expect(
      correctLines('JPY', [{ ...plan, unitAmount: 4500, amount: 13500 }], [{ position: 1, quantity: 1 }]),
    ).toEqual([{ ...plan, unitAmount: 4500, quantity: 1, amount: 4500 }]);
  });

  it('refuses an unknown or repeated line, a discounted one and a proration, naming the line (422)', () => {
    const unknown = refusal(() => correctLines('USD', [plan], [{ position: 4, quantity: 1 }]));
    expect(unknown).toMatchObject({
      status: 422,
      message: 'the voided invoice has no line 4 (its lines are 1 to 1)',
    });
    expect(unknown.details).toEqual([{ field: 'lines[0].position', message: unknown.message }]);
    expect(
      refusal(() =>
        correctLines(
          'USD',
          [plan, usage],
          [
            { position: 2, quantity: 1 },
            { position: 2, quantity: 3 },
          ],
        ),
      ).message,
    ).toBe('line 2 is corrected twice');
    expect(
      refusal(() => correctLines('USD', [{ ...plan, discount: 980 }], [{ position: 1, quantity: 1 }]))
        .message,
    ).toBe('line 1 carries a discount: a discounted line cannot be corrected on regenerate');
    const prorated = { ...plan, quantity: 1, amount: 2450 };
    expect(refusal(() => correctLines('USD', [prorated], [{ position: 1, quantity: 2 }])).message).toBe(
      'line 1 is not billed at unit price × quantity (a proration or a credit): it cannot be corrected on regenerate',
    );
    const credit = { ...plan, quantity: 1, unitAmount: -2450, amount: -2450 };
    expect(refusal(() => correctLines('USD', [credit], [{ position: 1, quantity: 2 }])).status).toBe(422);
  });
});
