import { Injectable } from '@nestjs/common';
import type { BooksFinding } from './books-findings';

/** What another context is asked: its own findings at this moment (read-only). */
export type BooksCheckContributor = (now: Date) => Promise<BooksFinding[]>;

/**
 * The books check runs in billing, but payouts keeps its own tables: it registers a contributor
 * here at start (as with transfer events), so billing asks it without importing payouts.
 */
@Injectable()
export class BooksCheckRegistry {
  private readonly contributors = new Map<string, BooksCheckContributor>();

  /** One contributor per context; registering again replaces it. */
  register(context: string, contributor: BooksCheckContributor): void {
    this.contributors.set(context, contributor);
  }

  async findings(now: Date): Promise<BooksFinding[]> {
    const all = await Promise.all([...this.contributors.values()].map((contributor) => contributor(now)));
    return all.flat();
  }
}
