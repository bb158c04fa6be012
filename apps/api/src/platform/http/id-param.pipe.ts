import { Injectable, PipeTransform } from '@nestjs/common';
import { NotFoundError } from './app-error';

/** A path id that cannot be ours is simply not found: no database round trip, no 500 on junk. */
@Injectable()
export class IdParam implements PipeTransform<string, string> {
  private readonly pattern: RegExp;

  constructor(
    prefix: string,
    private readonly resource: string,
  ) {
    this.pattern = new RegExp(`^${prefix}_[0-9a-z]{26}$`);
  }

  transform(value: string): string {
    if (!this.pattern.test(value)) throw new NotFoundError(this.resource, value.slice(0, 64));
    return value;
  }
}
