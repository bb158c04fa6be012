import { Alert, Button, Group } from '@mantine/core';
import { useState } from 'react';
import { downloadFile } from '../api';
import { useSignedIn } from '../session';

/**
 * A button that downloads a document from the API (a PDF by default) under the API's filename; a
 * refusal shows the API's message beside it.
 */
export function DownloadButton({
  label,
  path,
  fileName,
  accept = 'application/pdf',
  ariaLabel,
}: {
  label: string;
  path: string;
  fileName: string;
  accept?: string;
  /** The accessible name, when the visible label alone is ambiguous in a table. */
  ariaLabel?: string;
}) {
  const session = useSignedIn();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const download = () => {
    setBusy(true);
    setFailure(null);
    downloadFile(session.token, path, accept, fileName)
      .catch((error: unknown) => setFailure(error instanceof Error ? error.message : String(error)))
      .finally(() => setBusy(false));
  };
  return (
    <Group gap={4}>
      <Button size="xs" variant="subtle" loading={busy} onClick={download} aria-label={ariaLabel}>
        {label}
      </Button>
      {failure && (
        <Alert color="red" role="alert" p={4}>
          {failure}
        </Alert>
      )}
    </Group>
  );
}
