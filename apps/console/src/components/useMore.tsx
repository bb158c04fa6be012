import { Button } from '@mantine/core';
import type { Page } from '@astrix/contracts';
import { useState, type ReactNode } from 'react';
import { apiRequest } from '../api';
import { useSignedIn } from '../session';

/**
 * The first page of a customer section as the 360 returned it, plus further pages on demand from
 * `GET /v1/admin/customers/:id/:section?cursor=`.
 */
export function useMore<T>(
  first: Page<T>,
  customerId: string,
  section: string,
  path?: (cursor: string) => string,
): { rows: T[]; more: ReactNode } {
  const session = useSignedIn();
  const [extra, setExtra] = useState<{ rows: T[]; cursor: string | null; from: Page<T> }>({
    rows: [],
    cursor: first.nextCursor,
    from: first,
  });
  const [loading, setLoading] = useState(false);
  // A refreshed 360 (after an action) starts the section again from its new first page.
  const current = extra.from === first ? extra : { rows: [], cursor: first.nextCursor, from: first };
  const load = async () => {
    if (!current.cursor) return;
    setLoading(true);
    try {
      const page = await apiRequest<Page<T>>(
        session.token,
        path
          ? path(current.cursor)
          : `/v1/admin/customers/${customerId}/${section}?limit=25&cursor=${encodeURIComponent(current.cursor)}`,
      );
      setExtra({ rows: [...current.rows, ...page.data], cursor: page.nextCursor, from: first });
    } finally {
      setLoading(false);
    }
  };
  return {
    rows: [...first.data, ...current.rows],
    more: current.cursor ? (
      <Button size="xs" variant="default" loading={loading} onClick={() => void load()}>
        Load more {section}
      </Button>
    ) : null,
  };
}

/** Renders a customer section's rows (first page and any loaded after it) and its "Load more" button. */
export function Paged<T>({
  first,
  customerId,
  section,
  path,
  children,
}: {
  first: Page<T>;
  customerId: string;
  section: string;
  /** Where further pages come from, when not the customer section route. */
  path?: (cursor: string) => string;
  children: (rows: T[]) => ReactNode;
}) {
  const { rows, more } = useMore(first, customerId, section, path);
  return (
    <>
      {children(rows)}
      {more}
    </>
  );
}
