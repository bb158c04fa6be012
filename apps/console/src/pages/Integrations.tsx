import { Title } from '@mantine/core';

export function Integrations() {
  return <Title order={2}>Integrations</Title>;
}
