import { money, multiply, parseCurrencyCode } from '@astrix/pricing';
import { AppError } from '../../../platform/http/app-error';

/** A staff correction of one line of a voided invoice on its replacement: the seats or units billed. */
export interface LineCorrection {
  position: number;
  quantity: number;
}

/** The parts of an invoice line a correction reads and rewrites. */
export interface CorrectableLine {
  position: number;
  quantity: number;
  unitAmount: number;
  amount: number;
  discount: number;
}

function refused(field: string, message: string): AppError {
  return new AppError(422, 'UNPROCESSABLE', message, [{ field, message }]);
}

/**
 * The voided invoice's lines as the replacement bills them: a corrected line bills its new quantity
 * at the same unit price (`amount = unitAmount × quantity` in @astrix/pricing); the others are
 * copied. Only a line billed at exactly unit price × quantity, without a discount and not a credit,
 * can be corrected: a prorated line, a discounted line or a credit would need its proration or
 * discount decided again, which a regenerate does not do (change the subscription instead). Each
 * refusal names the line (422).
 */
export function correctLines<T extends CorrectableLine>(
  currency: string,
  lines: readonly T[],
  corrections: readonly LineCorrection[],
): T[] {
  const code = parseCurrencyCode(currency);
  const seen = new Set<number>();
  const byPosition = new Map(lines.map((line) => [line.position, line]));
  const corrected = new Map<number, number>();
  for (const [index, correction] of corrections.entries()) {
    const field = `lines[${index}]`;
    if (seen.has(correction.position)) {
      throw refused(`${field}.position`, `line ${correction.position} is corrected twice`);
    }
    seen.add(correction.position);
    const line = byPosition.get(correction.position);
    if (!line) {
      throw refused(
        `${field}.position`,
        `the voided invoice has no line ${correction.position} (its lines are 1 to ${lines.length})`,
      );
    }
    if (line.discount !== 0) {
      throw refused(
        `${field}.position`,
        `line ${line.position} carries a discount: a discounted line cannot be corrected on regenerate`,
      );
    }
    if (
      line.unitAmount < 0 ||
      line.amount !== multiply(money(line.unitAmount, code), line.quantity).amountMinor
    ) {
      throw refused(
        `${field}.position`,
        `line ${line.position} is not billed at unit price × quantity (a proration or a credit): it cannot be corrected on regenerate`,
      );
    }
    corrected.set(line.position, correction.quantity);
  }
  return lines.map((line) => {
    const quantity = corrected.get(line.position);
    if (quantity === undefined) return line;
    return { ...line, quantity, amount: multiply(money(line.unitAmount, code), quantity).amountMinor };
  });
}
