import { Title } from '@mantine/core';

export function StripeEvents() {
  return <Title order={2}>StripeEvents</Title>;
}
