import { Title } from '@mantine/core';

export function Collections() {
  return <Title order={2}>Collections</Title>;
}
